# The quick start's two commands are `make run` and `make test`.

.PHONY: run test build lint

run:
	go run ./cmd/handoff

# Everything CI runs: static checks, then every test with the race detector,
# the fault test (scripts/fault-test; `go test ./...` skips it), then each
# fuzz test for 5 seconds (go runs one fuzz test per invocation;
# scripts/fuzz-briefly says what it retries).
test:
	go vet ./...
	test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt: the files above need formatting" && exit 1)
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	go test -race -count=1 -timeout 40m ./...
	scripts/fault-test
	scripts/fuzz-briefly FuzzMessengerWebhook ./api/
	scripts/fuzz-briefly FuzzWebChatMessage ./api/
	scripts/fuzz-briefly FuzzParse ./internal/flows/

build:
	go build -o handoff ./cmd/handoff

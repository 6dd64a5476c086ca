# The quick start's two commands are `make run` and `make test`.

.PHONY: run test build lint

run:
	go run ./cmd/handoff

# Everything CI runs: static checks, then every test with the race detector.
# Then each fuzz test for a few seconds (go runs one fuzz test per invocation).
test:
	go vet ./...
	test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt: the files above need formatting" && exit 1)
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	go test -race -count=1 -timeout 40m ./...
	go test -run '^$$' -fuzz '^FuzzMessengerWebhook$$' -fuzztime 5s ./api/
	go test -run '^$$' -fuzz '^FuzzWebChatMessage$$' -fuzztime 5s ./api/
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 5s ./internal/flows/

build:
	go build -o handoff ./cmd/handoff

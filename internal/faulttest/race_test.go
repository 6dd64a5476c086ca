//go:build race

package faulttest

// raceEnabled builds handoff with the race detector too, reusing the race
// build of the packages that `go test -race ./...` made.
const raceEnabled = true

// Package faulttest holds the fault test: handoff's roles as separate
// processes (two workers, two api processes) on a real Temporal server built
// from the module proxy and running on PostgreSQL, driven by web chat and
// Messenger customers and staff while a worker is killed, an api process
// and the Temporal server are restarted. It runs only when
// HANDOFF_FAULT_TEST is set (scripts/fault-test does, and `make test` runs
// that script); see the README's "Fault test".
package faulttest

package embeddedtemporal

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
)

// ports are the server's listening ports. The server records its services'
// addresses in its database (cluster membership, shard ownership); reusing the
// same ports after a restart lets it take its shards back at once instead of
// waiting for the previous process's entries to expire.
type ports struct {
	Frontend           int `json:"frontend"`
	FrontendMembership int `json:"frontend_membership"`
	FrontendHTTP       int `json:"frontend_http"`
	History            int `json:"history"`
	HistoryMembership  int `json:"history_membership"`
	Matching           int `json:"matching"`
	MatchingMembership int `json:"matching_membership"`
	Worker             int `json:"worker"`
	WorkerMembership   int `json:"worker_membership"`
}

func (p ports) list() []int {
	return []int{p.Frontend, p.FrontendMembership, p.FrontendHTTP, p.History, p.HistoryMembership,
		p.Matching, p.MatchingMembership, p.Worker, p.WorkerMembership}
}

// servicePorts returns the ports recorded beside databaseFile when they are
// still free and agree with the configured frontend port (0 = any), or picks
// and records new ones.
func servicePorts(databaseFile, host string, frontendPort int, logger *slog.Logger) (ports, error) {
	record := databaseFile + ".ports.json"
	if p, err := readPorts(record); err == nil && (frontendPort == 0 || p.Frontend == frontendPort) {
		if allFree(host, p.list()) {
			return p, nil
		}
		logger.Warn("ports used by the previous run are taken; the first requests after start-up may be slow", "ports", fmt.Sprint(p.list()))
	}
	free, err := freePorts(host, 9)
	if err != nil {
		return ports{}, fmt.Errorf("embedded temporal: reserve ports: %w", err)
	}
	if frontendPort == 0 {
		frontendPort = free[8]
	}
	p := ports{
		Frontend: frontendPort, FrontendMembership: free[0], FrontendHTTP: free[1],
		History: free[2], HistoryMembership: free[3], Matching: free[4], MatchingMembership: free[5],
		Worker: free[6], WorkerMembership: free[7],
	}
	raw, _ := json.Marshal(p)
	if err := os.WriteFile(record, raw, 0o600); err != nil {
		return ports{}, fmt.Errorf("embedded temporal: record ports in %s: %w", record, err)
	}
	return p, nil
}

func readPorts(path string) (ports, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ports{}, err
	}
	var p ports
	if err := json.Unmarshal(raw, &p); err != nil {
		return ports{}, err
	}
	for _, port := range p.list() {
		if port <= 0 || port > 65535 {
			return ports{}, errors.New("invalid port record")
		}
	}
	return p, nil
}

func allFree(host string, list []int) bool {
	for _, port := range list {
		if checkFree(net.JoinHostPort(host, strconv.Itoa(port))) != nil {
			return false
		}
	}
	return true
}

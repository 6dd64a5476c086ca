// Package deploy holds what runs handoff at scale: the image (Dockerfile), a
// compose file and Kubernetes manifests (README.md describes them). It has
// no code: its test reads every file here and checks it against handoff
// itself, so the HANDOFF_ variables, ports, probe paths, commands and
// grace periods they use are ones the configuration, the router and the
// binary actually have.
package deploy

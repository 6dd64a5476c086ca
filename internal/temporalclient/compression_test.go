package temporalclient

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/handoff-chat/handoff/internal/config"
)

// systemInfoOnly is a frontend that answers the one call a dial makes.
type systemInfoOnly struct {
	workflowservice.UnimplementedWorkflowServiceServer
}

func (systemInfoOnly) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{}, nil
}

// payloads records, for each non-empty request message the server
// received, whether it came compressed (its length on the wire differs from
// its length; gRPC never compresses an empty message).
type payloads struct{ compressed chan bool }

func (p payloads) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (p payloads) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (p payloads) HandleConn(context.Context, stats.ConnStats)                       {}
func (p payloads) HandleRPC(_ context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InPayload); ok && in.Length > 0 {
		select {
		case p.compressed <- in.CompressedLength != in.Length:
		default:
		}
	}
}

// Requests to a frontend on this machine go uncompressed unless gzip is
// asked for; to another machine they are gzipped unless none is asked for.
func TestRequestsAreCompressedOnlyBeyondThisMachine(t *testing.T) {
	for _, tc := range []struct {
		setting    string
		compressed bool
	}{
		{config.CompressionAuto, false},
		{"", false},
		{config.CompressionNone, false},
		{config.CompressionGzip, true},
	} {
		t.Run("setting "+tc.setting, func(t *testing.T) {
			seen := payloads{compressed: make(chan bool, 16)}
			srv := grpc.NewServer(grpc.StatsHandler(seen))
			workflowservice.RegisterWorkflowServiceServer(srv, systemInfoOnly{})
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = srv.Serve(l) }()
			defer srv.Stop()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, l.Addr().String(), config.Temporal{Namespace: "default", Compression: tc.setting}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// A request with a body (the fake answers it Unimplemented).
			_, _ = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
			select {
			case got := <-seen.compressed:
				if got != tc.compressed {
					t.Errorf("request compressed %v, want %v", got, tc.compressed)
				}
			case <-ctx.Done():
				t.Fatal("the frontend received no request")
			}
		})
	}
	for _, tc := range []struct {
		setting, hostPort string
		want              bool
	}{
		{config.CompressionAuto, "localhost:7233", false},
		{config.CompressionAuto, "[::1]:7233", false},
		{config.CompressionAuto, "127.0.0.2:7233", false},
		{config.CompressionAuto, "temporal-frontend:7233", true},
		{config.CompressionAuto, "10.0.0.5:7233", true},
		{config.CompressionNone, "temporal-frontend:7233", false},
		{config.CompressionGzip, "127.0.0.1:7233", true},
	} {
		if got := compresses(tc.setting, tc.hostPort); got != tc.want {
			t.Errorf("compresses(%q, %q) = %v, want %v", tc.setting, tc.hostPort, got, tc.want)
		}
	}
}

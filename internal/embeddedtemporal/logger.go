package embeddedtemporal

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// slogLogger adapts a *slog.Logger to the Temporal server's logging interface,
// so the embedded server writes to the same structured log as the rest of
// handoff. Records below minLevel are dropped: the server is chatty at info.
type slogLogger struct {
	logger   *slog.Logger
	minLevel slog.Level
	// quiet drops every record; set while the server shuts down, when its
	// services report each other's disappearance as errors.
	quiet atomic.Bool
}

var _ log.Logger = (*slogLogger)(nil)

func newSlogLogger(l *slog.Logger, minLevel slog.Level) *slogLogger {
	return &slogLogger{logger: l.With("component", "temporal-server"), minLevel: minLevel}
}

func (l *slogLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level < l.minLevel || l.quiet.Load() || !l.logger.Enabled(context.Background(), level) {
		return
	}
	for _, t := range tags {
		// Services that start before the frontend report it as an error.
		if t.Key() == "error" && strings.Contains(fmt.Sprint(t.Value()), "Frontend is not healthy yet") {
			return
		}
	}
	attrs := make([]any, 0, 2*len(tags))
	for _, t := range tags {
		attrs = append(attrs, t.Key(), fmt.Sprint(t.Value()))
	}
	l.logger.Log(context.Background(), level, msg, attrs...)
}

func (l *slogLogger) Debug(msg string, tags ...tag.Tag)  { l.log(slog.LevelDebug, msg, tags) }
func (l *slogLogger) Info(msg string, tags ...tag.Tag)   { l.log(slog.LevelInfo, msg, tags) }
func (l *slogLogger) Warn(msg string, tags ...tag.Tag)   { l.log(slog.LevelWarn, msg, tags) }
func (l *slogLogger) Error(msg string, tags ...tag.Tag)  { l.log(slog.LevelError, msg, tags) }
func (l *slogLogger) DPanic(msg string, tags ...tag.Tag) { l.log(slog.LevelError, msg, tags) }
func (l *slogLogger) Panic(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
	panic(msg)
}

// Fatal logs and exits, as the server's own logger does.
func (l *slogLogger) Fatal(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
	os.Exit(1)
}

// Package activities holds everything conversation workflows do that has side
// effects or reads the outside world, as methods on structs that carry their
// dependencies. Every activity is safe to retry.
package activities

import (
	"context"
	"fmt"

	"github.com/handoff-chat/handoff/internal/settings"
	"github.com/handoff-chat/handoff/workflows"
)

// Settings reads the settings in force for workflows.
type Settings struct {
	Store *settings.Store
}

// LoadSettings returns the settings in force now. Workflows run it as a local
// activity, so the value they used is recorded in their history.
func (a *Settings) LoadSettings(ctx context.Context) (workflows.Settings, error) {
	current, err := a.Store.Current(ctx)
	if err != nil {
		return workflows.Settings{}, fmt.Errorf("load settings: %w", err)
	}
	return current.Settings, nil
}

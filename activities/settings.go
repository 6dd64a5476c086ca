// Package activities holds everything conversation workflows do that has side
// effects or reads the outside world, as methods on structs that carry their
// dependencies. Every activity is safe to retry. Each activity's input and
// output types live beside it; workflows call the activities through method
// values of these structs, so a call that does not match its activity fails
// to compile.
package activities

import (
	"context"
	"fmt"

	"github.com/handoff-chat/handoff/internal/chat"
)

// SettingsSource is where the settings in force come from (the settings
// workflow, through internal/settings.Store).
type SettingsSource interface {
	InForce(ctx context.Context) (chat.Settings, error)
}

// Settings reads the settings in force for workflows.
type Settings struct {
	Source SettingsSource
}

// LoadSettings returns the settings in force now. Workflows run it as a local
// activity, so the value they used is recorded in their history.
func (a *Settings) LoadSettings(ctx context.Context) (chat.Settings, error) {
	s, err := a.Source.InForce(ctx)
	if err != nil {
		return chat.Settings{}, fmt.Errorf("load settings: %w", err)
	}
	return s, nil
}

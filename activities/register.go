package activities

import "go.temporal.io/sdk/worker"

// Set is every activity struct a worker runs.
type Set struct {
	Settings  *Settings
	Bot       *Bot
	Search    *Search
	Messenger *Messenger
	Alerter   *Alerter
}

// Register registers every activity of the set on a worker, each under its
// method's name, which is the name workflows call it by.
func Register(r worker.ActivityRegistry, set Set) {
	r.RegisterActivity(set.Settings)
	r.RegisterActivity(set.Bot)
	r.RegisterActivity(set.Search)
	r.RegisterActivity(set.Messenger)
	r.RegisterActivity(set.Alerter)
}

// Package chat is handoff's domain vocabulary: channels, messages and their
// content, conversation states, the shapes in which staff and the search
// index see a conversation, and the admin-tunable settings, each with its
// validation. It imports nothing of the project, so every other package can
// share it: the workflows, the activities, the API, the channel clients and
// the configuration.
package chat

import "time"

// Channels a customer writes on.
const (
	ChannelWebChat   = "webchat"
	ChannelMessenger = "messenger"
)

// KnownChannel reports whether channel is one handoff serves.
func KnownChannel(channel string) bool {
	return channel == ChannelWebChat || channel == ChannelMessenger
}

// SentToChannel reports whether messages to the customer go out through the
// channel's own API (Messenger). Web chat needs no sending: the widget reads
// the transcript.
func SentToChannel(channel string) bool { return channel == ChannelMessenger }

// Messenger's rules for writing to a customer.
const (
	// StandardWindow is Messenger's standard messaging window: staff and the
	// bot may write for this long after the customer's last message.
	StandardWindow = 24 * time.Hour
	// TagHumanAgent is the Messenger message tag for staff replies after the
	// 24-hour window.
	TagHumanAgent = "HUMAN_AGENT"
	// HumanAgentWindow is how long after the customer's last message staff
	// may answer with TagHumanAgent.
	HumanAgentWindow = 7 * 24 * time.Hour
)

// PayloadTalkToHuman is the button payload with which a customer asks for a human.
const PayloadTalkToHuman = "HANDOFF_TALK_TO_HUMAN"

// PayloadNavigationPrefix starts the payload of a flow button. The bot
// answers such a choice even while staff have live chat on, so a customer can
// navigate on from a block staff sent.
const PayloadNavigationPrefix = "FLOW:"

// Status is where a conversation stands.
type Status string

const (
	StatusBot            Status = "bot"
	StatusAgentRequested Status = "agent_requested"
	StatusLiveChat       Status = "live_chat"
)

// Sender says who wrote a message.
type Sender string

const (
	SenderCustomer Sender = "customer"
	SenderStaff    Sender = "staff"
	SenderBot      Sender = "bot"
)

package chat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message is one entry of a conversation transcript.
type Message struct {
	// Seq orders a customer's messages on a channel. It rises with every
	// message, across continue-as-new and across runs (a new run starts
	// numbering at its start time in microseconds).
	Seq int64 `json:"seq"`
	// ID is the channel's message ID (customer) or the ID the API gave it (staff, bot).
	ID     string `json:"id"`
	Sender Sender `json:"sender"`
	Author string `json:"author,omitempty"` // staff member who wrote it
	// DisplayName is the name the customer sees on a staff message; the
	// author's own name is for staff and auditors only.
	DisplayName string `json:"display_name,omitempty"`
	Text        string `json:"text,omitempty"`
	// Payload is the value of a button or quick reply the customer chose.
	Payload string `json:"payload,omitempty"`
	// Attachments the customer sent (images, files, locations as links).
	Attachments []Attachment `json:"attachments,omitempty"`
	// Buttons offered with a bot or staff message.
	Buttons []Button  `json:"buttons,omitempty"`
	SentAt  time.Time `json:"sent_at"`
	// Block is the flow block a bot or staff message was made from.
	Block string `json:"block,omitempty"`
	// TemplateID is the library template a staff message was made from.
	TemplateID string `json:"template_id,omitempty"`
	// AI marks a customer message the AI answered or declined to answer.
	AI *AIAnswer `json:"ai,omitempty"`
	// Delivery says how a message to the customer fared on channels that
	// are sent to (Messenger); nil on web chat, where the widget reads the
	// transcript.
	Delivery *Delivery `json:"delivery,omitempty"`
}

// SameContent reports whether m and o, kept at the same Seq, are one message
// as the customer sees it. They can differ: a workflow task whose writes were
// passed on and that was then lost runs again, and a customer message that
// came meanwhile is recorded before the replies, which move to later Seqs.
// The bot's IDs follow the Seq ("bot-5"), so the content is compared too.
func (m Message) SameContent(o Message) bool {
	return m.ID == o.ID && m.Sender == o.Sender && m.Text == o.Text && m.Payload == o.Payload &&
		slices.Equal(m.Attachments, o.Attachments) && slices.Equal(m.Buttons, o.Buttons)
}

// IsNavigation reports whether the message is a flow button press.
func (m Message) IsNavigation() bool { return strings.HasPrefix(m.Payload, PayloadNavigationPrefix) }

// Content is what a bot or staff message says: its text, images and
// buttons, and the flow block it was made from.
type Content struct {
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Buttons     []Button     `json:"buttons,omitempty"`
	// Block is the flow block the content was made from, if any.
	Block string `json:"block,omitempty"`
	// TemplateID is the library template the content was made from, if
	// any: the template's send counter counts the messages that carry it.
	TemplateID string `json:"template_id,omitempty"`
}

// Validate checks what staff send: text or an image, images by web URL, and
// buttons that are either a payload or a web link, every field within the
// bounds in limits.go. The error names the field.
func (c Content) Validate() error {
	if c.Text == "" && len(c.Attachments) == 0 {
		return errors.New("a staff message needs text or an image")
	}
	if c.TemplateID != "" && !templateIDPattern.MatchString(c.TemplateID) {
		return invalid("template_id", "must be a template's ID: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if c.Text != "" {
		if err := CheckText("text", c.Text); err != nil {
			return err
		}
	}
	if len(c.Attachments) > MaxAttachments {
		return invalid("attachments", "has %d images; a message carries at most %d", len(c.Attachments), MaxAttachments)
	}
	for i, a := range c.Attachments {
		if err := a.validateImage(fmt.Sprintf("attachments[%d]", i)); err != nil {
			return err
		}
	}
	if len(c.Buttons) > MaxButtons {
		return invalid("buttons", "has %d buttons; a message carries at most %d", len(c.Buttons), MaxButtons)
	}
	for i, b := range c.Buttons {
		if err := b.validate(fmt.Sprintf("buttons[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (a Attachment) validateImage(field string) error {
	if a.Type != "image" {
		return invalid(field, "is of type %s; only images can be sent", Quote(a.Type))
	}
	return CheckURL(field+".url", a.URL)
}

func (b Button) validate(field string) error {
	switch {
	case b.Title == "":
		return invalid(field, "needs a title")
	case (b.Payload == "") == (b.URL == ""):
		return invalid(field, "(%s) needs either a payload or a URL", Quote(b.Title))
	}
	if err := CheckTitle(field+".title", b.Title); err != nil {
		return err
	}
	if b.URL != "" {
		return CheckURL(field+".url", b.URL)
	}
	return CheckPayload(field+".payload", b.Payload)
}

// IsWebURL reports whether s is an http:// or https:// URL with something
// after the scheme and no white space.
func IsWebURL(s string) bool {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	return ok && rest != "" && !strings.ContainsAny(s, " \t\n")
}

// Attachment is a file or link a customer sent, or an image sent to them.
type Attachment struct {
	Type string `json:"type"` // image, video, audio, file, ...
	URL  string `json:"url"`
}

// Button is a choice offered to the customer: either a payload sent back when
// chosen (a quick reply or postback) or a link opened in the browser.
type Button struct {
	Title   string `json:"title"`
	Payload string `json:"payload,omitempty"`
	// URL makes the button a link.
	URL string `json:"url,omitempty"`
}

// Delivery is the outcome of sending a bot or staff message to the channel.
type Delivery struct {
	Status DeliveryStatus `json:"status"`
	// ChannelMessageIDs are the IDs the channel gave the sent messages.
	ChannelMessageIDs []string `json:"channel_message_ids,omitempty"`
	// Tag is the message tag it was sent with (HUMAN_AGENT), if any.
	Tag string `json:"tag,omitempty"`
	// Error says why the message did not reach the customer.
	Error string    `json:"error,omitempty"`
	At    time.Time `json:"at,omitempty"`
}

// DeliveryStatus is where sending a message stands.
type DeliveryStatus string

const (
	DeliveryPending DeliveryStatus = "pending"
	DeliverySent    DeliveryStatus = "sent"
	DeliveryFailed  DeliveryStatus = "failed"
)

// AsMessage is the content as a transcript message.
func (c Content) AsMessage(id string, sender Sender, author string, at time.Time) Message {
	return Message{ID: id, Sender: sender, Author: author, Text: c.Text, Attachments: c.Attachments,
		Buttons: c.Buttons, Block: c.Block, TemplateID: c.TemplateID, SentAt: at}
}

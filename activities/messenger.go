package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"go.temporal.io/sdk/temporal"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/internal/graphapi"
)

// DeliveryRequest is the input of Messenger.DeliverMessage.
type DeliveryRequest struct {
	ConversationID string `json:"conversation_id"`
	Channel        string `json:"channel"`
	// PageID is the Messenger page the customer wrote to.
	PageID     string       `json:"page_id"`
	CustomerID string       `json:"customer_id"`
	Message    chat.Message `json:"message"`
	// Tag is the message tag to send with; empty sends a standard response.
	Tag string `json:"tag,omitempty"`
	// Sent are the channel's IDs of the parts earlier attempts sent; this
	// attempt goes on with the next part.
	Sent []string `json:"sent,omitempty"`
}

// DeliveryResult is what Messenger.DeliverMessage returns.
type DeliveryResult struct {
	// ChannelMessageIDs are the channel's IDs of the parts sent so far,
	// by this attempt and the earlier ones.
	ChannelMessageIDs []string `json:"channel_message_ids"`
	// Unfinished is why not every part was sent, when the channel failed
	// in a way worth trying again; the next attempt goes on from
	// ChannelMessageIDs.
	Unfinished string `json:"unfinished,omitempty"`
}

// ProfileRequest is the input of Messenger.FetchCustomerProfile.
type ProfileRequest struct {
	Channel    string `json:"channel"`
	PageID     string `json:"page_id"`
	CustomerID string `json:"customer_id"`
}

// CustomerProfile is what Messenger.FetchCustomerProfile returns.
type CustomerProfile struct {
	Name string `json:"name"`
}

// ErrTypeDeliveryRefused means the channel refused a message for good; the
// error message is the reason shown to staff.
const ErrTypeDeliveryRefused = "DeliveryRefused"

// Messenger sends bot and staff messages through Messenger's Send API and
// reads customer profiles from the Graph API.
type Messenger struct {
	Graph *graphapi.Client
	sent  sentParts
}

// DeliverMessage makes one attempt to send a handoff message, which may
// take several Send API calls (images first, then the text with its
// buttons), going on after the parts req.Sent says earlier attempts sent. A
// failure worth trying again is not an error but a result that says what
// was sent and why the rest was not (Unfinished), so the caller's next
// attempt never sends a part twice; a refusal for good is an error of type
// ErrTypeDeliveryRefused. The Send API has no idempotency key: a call that
// timed out may still have been delivered, and its retry then sends that
// part twice. A workflow task run again on the same worker sends none of
// the parts this worker already sent (sentParts).
func (m *Messenger) DeliverMessage(ctx context.Context, req DeliveryRequest) (DeliveryResult, error) {
	if req.Channel != chat.ChannelMessenger {
		return DeliveryResult{}, refused(fmt.Sprintf("channel %q is not sent to", req.Channel), nil)
	}
	if req.PageID == "" {
		return DeliveryResult{}, refused("not sent: the page this customer wrote to is not known", nil)
	}
	content := chat.Content{Text: req.Message.Text, Attachments: req.Message.Attachments, Buttons: req.Message.Buttons}
	parts, err := graphapi.Parts(content)
	if err != nil {
		return DeliveryResult{}, refused("not sent: "+err.Error(), err)
	}
	sent := m.sent.sent(req)
	for part := len(sent); part < parts; part++ {
		id, err := m.Graph.SendPart(ctx, req.PageID, req.CustomerID, content, graphapi.Tag(req.Tag), part)
		if err != nil {
			err = classify(fmt.Sprintf("send part %d of %d of message %s", part+1, parts, req.Message.ID), err)
			if temporal.IsApplicationError(err) {
				return DeliveryResult{ChannelMessageIDs: sent}, err
			}
			return DeliveryResult{ChannelMessageIDs: sent, Unfinished: err.Error()}, nil
		}
		sent = append(sent, id)
		m.sent.remember(req, sent)
	}
	return DeliveryResult{ChannelMessageIDs: sent}, nil
}

// FetchCustomerProfile returns the customer's name as Messenger shows it.
func (m *Messenger) FetchCustomerProfile(ctx context.Context, req ProfileRequest) (CustomerProfile, error) {
	p, err := m.Graph.Profile(ctx, req.PageID, req.CustomerID)
	if err != nil {
		return CustomerProfile{}, classify("fetch profile of "+req.CustomerID, err)
	}
	return CustomerProfile{Name: boundedName(p.Name)}, nil
}

// boundedName is a name from the channel made to fit chat.CheckName: control
// characters become spaces and it is cut to chat.MaxNameRunes; a name that
// still does not fit is left out, so the list shows the customer ID.
func boundedName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	if runes := []rune(name); len(runes) > chat.MaxNameRunes {
		name = strings.TrimSpace(string(runes[:chat.MaxNameRunes]))
	}
	if chat.CheckName("name", name) != nil {
		return ""
	}
	return name
}

// classify returns transient errors for Temporal to retry and turns
// permanent ones into a non-retryable error whose message staff will read.
func classify(what string, err error) error {
	if graphapi.IsTemporary(err) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var graphErr *graphapi.Error
	if errors.As(err, &graphErr) {
		return refused(graphErr.Reason(), err)
	}
	return refused("not sent: "+err.Error(), err)
}

func refused(reason string, cause error) error {
	return temporal.NewNonRetryableApplicationError(reason, ErrTypeDeliveryRefused, cause)
}

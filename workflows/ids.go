package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
)

// The IDs a conversation remembers, to recognise a request it has already
// received. Each kind of request has its own space of IDs, so a staff
// message may carry the ID of a customer message without being taken for
// it. Every ID is remembered with a digest of the content it came with: the
// same ID with the same content is a retry, recorded once; with different
// content it is refused.

// idSpace is one kind of ID.
type idSpace string

const (
	customerMessageIDs idSpace = "customer"
	staffMessageIDs    idSpace = "staff"
	agentRequestIDs    idSpace = "agent_request"
	// sentMessageIDs are the IDs the channel gave the messages handoff sent
	// (Messenger's message IDs), by which their echoes are recognised.
	sentMessageIDs idSpace = "sent"
)

// seenID is one remembered ID.
type seenID struct {
	Space  idSpace `json:"space"`
	ID     string  `json:"id"`
	Digest string  `json:"digest,omitempty"`
}

// remember adds an ID to its space; the oldest are forgotten beyond
// recentIDsKept.
func (c *conversation) remember(space idSpace, id, digest string) {
	c.state.RecentIDs = append(c.state.RecentIDs, seenID{Space: space, ID: id, Digest: digest})
	if n := len(c.state.RecentIDs); n > recentIDsKept {
		// By slicing, as the transcript (record): copied only when an
		// append outgrows the array.
		c.state.RecentIDs = c.state.RecentIDs[n-recentIDsKept:]
	}
}

// lookup finds an ID in its space.
func (c *conversation) lookup(space idSpace, id string) (seenID, bool) {
	for i := len(c.state.RecentIDs) - 1; i >= 0; i-- {
		if s := c.state.RecentIDs[i]; s.Space == space && s.ID == id {
			return s, true
		}
	}
	return seenID{}, false
}

// checkNew is nil for an ID its space has not seen, a duplicate error for
// one seen with the same content, and a reused-ID error for one seen with
// other content.
func (c *conversation) checkNew(space idSpace, id, digest string) error {
	seen, ok := c.lookup(space, id)
	switch {
	case !ok:
		return nil
	case seen.Digest != digest:
		return reusedID(id)
	default:
		return duplicate(id)
	}
}

// checkCustomerMessage checks a customer message's ID.
func (c *conversation) checkCustomerMessage(msg CustomerMessage) error {
	return c.checkNew(customerMessageIDs, msg.ID, customerDigest(msg))
}

// checkStaffMessage checks a staff message's ID. An echo from the channel
// whose ID the channel gave a message handoff sent is that message coming
// back: a duplicate, whatever it says.
func (c *conversation) checkStaffMessage(msg StaffMessage) error {
	if msg.Echo {
		if _, ok := c.lookup(sentMessageIDs, msg.ID); ok {
			return duplicate(msg.ID)
		}
	}
	return c.checkNew(staffMessageIDs, msg.ID, staffDigest(msg))
}

// customerDigest covers what a redelivery repeats: the text, the payload
// and the kinds of attachment. Attachment URLs are left out, as a channel
// may sign them afresh for every delivery.
func customerDigest(msg CustomerMessage) string {
	d := newDigest()
	d.add(msg.Text, msg.Payload, strconv.Itoa(len(msg.Attachments)))
	for _, a := range msg.Attachments {
		d.add(a.Type)
	}
	return d.sum()
}

// staffDigest covers the whole content of a staff message. For an echo of
// a message sent from the channel's own inbox, it covers what customerDigest
// does, for the same reason.
func staffDigest(msg StaffMessage) string {
	d := newDigest()
	if msg.Echo {
		d.add("echo", msg.Text, strconv.Itoa(len(msg.Attachments)))
		for _, a := range msg.Attachments {
			d.add(a.Type)
		}
		return d.sum()
	}
	d.add("staff", msg.Text, msg.Block, strconv.Itoa(len(msg.Attachments)), strconv.Itoa(len(msg.Buttons)))
	if msg.TemplateID != "" {
		d.add("template", msg.TemplateID)
	}
	for _, a := range msg.Attachments {
		d.add(a.Type, a.URL)
	}
	for _, b := range msg.Buttons {
		d.add(b.Title, b.Payload, b.URL)
	}
	return d.sum()
}

// digest hashes a sequence of strings, each with its length, so that no
// two different sequences give the same input.
type digest struct{ h hash.Hash }

func newDigest() digest { return digest{h: sha256.New()} }

func (d digest) add(parts ...string) {
	for _, p := range parts {
		fmt.Fprintf(d.h, "%d:%s;", len(p), p)
	}
}

// sum is the first 12 bytes of the hash in hex: enough to tell requests
// apart, short enough to keep 500 of them in the carried state.
func (d digest) sum() string { return hex.EncodeToString(d.h.Sum(nil)[:12]) }

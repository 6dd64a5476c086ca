package activities

import (
	"strconv"
	"sync"
)

// maxRememberedDeliveries bounds the sent parts a worker remembers: about
// an hour of replies at a busy worker's pace, a few MB.
const maxRememberedDeliveries = 20000

// sentParts remembers, in this worker, the channel IDs of the parts of
// each message it sent. A workflow task that sent a message but could not
// be completed (the Temporal server was restarting, the completion was
// lost) is run again, and its local activities with it; when the retry
// comes to this worker, the remembered parts are not sent again. A retry
// on another worker, after this one died, cannot know and sends again:
// delivery to Messenger is at least once (README, "Messenger").
//
// The zero value is ready; the oldest entries are forgotten first.
type sentParts struct {
	mu    sync.Mutex
	parts map[string][]string
	order []string
}

// deliveryKey names one message of one conversation: its sequence number
// and ID, which a conversation never gives another message.
func deliveryKey(req DeliveryRequest) string {
	return req.ConversationID + "\x00" + strconv.FormatInt(req.Message.Seq, 10) + "\x00" + req.Message.ID
}

// sent returns the parts of the message already sent: those the request
// says earlier attempts sent, or those this worker remembers, whichever
// are more.
func (s *sentParts) sent(req DeliveryRequest) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if known := s.parts[deliveryKey(req)]; len(known) > len(req.Sent) {
		return append([]string(nil), known...)
	}
	return append([]string(nil), req.Sent...)
}

// remember records the parts of the message sent so far.
func (s *sentParts) remember(req DeliveryRequest, ids []string) {
	key := deliveryKey(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parts == nil {
		s.parts = map[string][]string{}
	}
	if _, known := s.parts[key]; !known {
		s.order = append(s.order, key)
	}
	s.parts[key] = append([]string(nil), ids...)
	for len(s.order) > maxRememberedDeliveries {
		delete(s.parts, s.order[0])
		s.order = s.order[1:]
	}
}

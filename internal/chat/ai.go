package chat

import (
	"strings"
	"unicode"
)

// PayloadAIHelped is the payload of the quick reply with which a customer
// says the AI's answer helped; the entry's ID follows a colon.
const PayloadAIHelped = "HANDOFF_AI_HELPED"

// AIAnswer marks a customer message the AI answered, or declined to: which
// knowledge-base entry, with what confidence, and what the customer did
// next. Staff see it on the customer's message; customers never do.
type AIAnswer struct {
	// EntryID is the entry that answered; empty when the AI declined.
	EntryID string  `json:"entry_id,omitempty"`
	Score   float64 `json:"score"`
	// Declined says the AI did not answer and offered a human; Reason says
	// why (out of scope, low confidence).
	Declined bool   `json:"declined,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Helped says the customer pressed "That helped".
	Helped bool `json:"helped,omitempty"`
	// AskedForHuman says the customer asked for a human within 10 minutes
	// after the answer.
	AskedForHuman bool `json:"asked_for_human,omitempty"`
}

// offerAccepted are the replies that accept the bot's offer of a human.
var offerAccepted = map[string]bool{
	"yes": true, "y": true, "yeah": true, "yep": true, "ok": true, "okay": true, "please": true, "yes please": true, "sure": true,
	"да": true, "моля": true, "добре": true, "ок": true, "да моля": true, "да, моля": true,
	"da": true, "mola": true, "molya": true, "dobre": true,
}

// AcceptsOffer reports whether a customer's text says yes to an offer: "yes",
// "да", "моля", "ok" and their like, in any case, with or without
// punctuation.
func AcceptsOffer(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.TrimFunc(t, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	t = strings.Join(strings.Fields(t), " ")
	return offerAccepted[t] || offerAccepted[strings.ReplaceAll(t, ",", "")]
}

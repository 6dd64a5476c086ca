package chat

// ReusedIDError is a request whose ID was already used for a different
// request of the same kind: a customer or staff message ID, or a settings
// change's request_id, sent again with other content. A true retry, with the
// same content, is no error. Field names the request field that carries the
// ID ("id", "request_id").
type ReusedIDError struct{ Field string }

func (e *ReusedIDError) Error() string {
	return "this " + e.Field + " was already used for a different request"
}

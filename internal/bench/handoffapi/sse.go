package handoffapi

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// Event is one Server-Sent Event.
type Event struct {
	// Name is the event's type ("message" when the stream names none).
	Name string
	ID   string
	Data []byte
	// At is when it was read.
	At time.Time
}

// ReadEvents parses Server-Sent Events and calls onEvent with each event
// that has data, until r ends.
func ReadEvents(r io.Reader, onEvent func(Event)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var e Event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data != nil {
				if e.Name == "" {
					e.Name = "message"
				}
				e.Data, e.At = []byte(strings.Join(data, "\n")), time.Now()
				onEvent(e)
			}
			e, data = Event{}, nil
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			e.Name = value
		case "id":
			e.ID = value
		case "data":
			data = append(data, value)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the event stream: %w", err)
	}
	return nil
}

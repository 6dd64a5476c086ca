package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// TemplateKind is what a library template sends.
type TemplateKind string

const (
	// TemplateText is a text.
	TemplateText TemplateKind = "text"
	// TemplateLink is a text with one link button (Messenger's button
	// template).
	TemplateLink TemplateKind = "link"
	// TemplateImage is an image of the gallery, with an optional caption.
	TemplateImage TemplateKind = "image"
)

// Bounds of a template. A link template is sent as Messenger's button
// template, whose text has at most 640 characters and whose button title
// at most 20.
const (
	MaxTemplates            = 200
	MaxTemplateTitleRunes   = 80
	MaxTemplateTextRunes    = 2000
	MaxLinkTemplateRunes    = 640
	MaxTemplateButtonRunes  = 20
	TemplateNamePlaceholder = "{name}"
)

// Template is one entry of the template library staff insert into replies.
// Text may hold TemplateNamePlaceholder, replaced by the customer's first
// name when it is inserted.
type Template struct {
	ID    string       `json:"id"`
	Kind  TemplateKind `json:"kind"`
	Title string       `json:"title"`
	Text  string       `json:"text,omitempty"`
	// Button is the link template's button (a title and a web URL).
	Button *Button `json:"button,omitempty"`
	// ImageURL is the image template's image, uploaded to the media folder.
	ImageURL string `json:"image_url,omitempty"`
	// Revision counts the template's changes; UpdatedAt and UpdatedBy are
	// the latest.
	Revision  int64     `json:"revision"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// Validate checks a template as an admin saves it; the error names the
// field.
func (t Template) Validate() error {
	var errs []error
	if !templateIDPattern.MatchString(t.ID) {
		errs = append(errs, invalid("id", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, got %s", Quote(t.ID)))
	}
	if err := checkString("title", t.Title, MaxTemplateTitleRunes); err != nil {
		errs = append(errs, err)
	} else if strings.TrimSpace(t.Title) == "" {
		errs = append(errs, invalid("title", "must not be empty: it names the template in the library"))
	}
	text := func(required bool, max int) {
		switch {
		case t.Text == "" && required:
			errs = append(errs, invalid("text", "must not be empty for a %s template", t.Kind))
		case t.Text == "":
		case utf8.RuneCountInString(t.Text) > max:
			errs = append(errs, invalid("text", "has %d characters; a %s template has at most %d", utf8.RuneCountInString(t.Text), t.Kind, max))
		default:
			if err := CheckText("text", t.Text); err != nil {
				errs = append(errs, err)
			}
		}
	}
	switch t.Kind {
	case TemplateText:
		text(true, MaxTemplateTextRunes)
		if t.Button != nil || t.ImageURL != "" {
			errs = append(errs, errors.New("a text template has no button or image; make it a link or image template"))
		}
	case TemplateLink:
		text(true, MaxLinkTemplateRunes)
		switch {
		case t.Button == nil:
			errs = append(errs, invalid("button", "is required for a link template: a title and an https:// URL"))
		case utf8.RuneCountInString(strings.TrimSpace(t.Button.Title)) == 0 || utf8.RuneCountInString(t.Button.Title) > MaxTemplateButtonRunes:
			errs = append(errs, invalid("button.title", "must have 1 to %d characters (Messenger's limit), got %d", MaxTemplateButtonRunes, utf8.RuneCountInString(t.Button.Title)))
		case !strings.HasPrefix(t.Button.URL, "https://") && !strings.HasPrefix(t.Button.URL, "http://") || len(t.Button.URL) > MaxURLBytes:
			errs = append(errs, invalid("button.url", "must be an http:// or https:// URL of at most %d bytes, got %s", MaxURLBytes, Quote(t.Button.URL)))
		}
		if t.ImageURL != "" {
			errs = append(errs, errors.New("a link template has no image"))
		}
	case TemplateImage:
		text(false, MaxTemplateTextRunes)
		if !strings.HasPrefix(t.ImageURL, "https://") && !strings.HasPrefix(t.ImageURL, "http://") || len(t.ImageURL) > MaxURLBytes {
			errs = append(errs, invalid("image_url", "must be the URL of an uploaded image (POST /api/v1/media), got %s", Quote(t.ImageURL)))
		}
		if t.Button != nil {
			errs = append(errs, errors.New("an image template has no button"))
		}
	default:
		errs = append(errs, invalid("kind", "must be text, link or image, got %s", Quote(string(t.Kind))))
	}
	return errors.Join(errs...)
}

// Content is what the template sends, with the customer's first name for
// the placeholder; the message carries the template's ID.
func (t Template) Content(customerName string) Content {
	first := strings.Fields(customerName)
	name := ""
	if len(first) > 0 {
		name = first[0]
	}
	c := Content{Text: strings.TrimSpace(strings.ReplaceAll(t.Text, TemplateNamePlaceholder, name)), TemplateID: t.ID}
	switch t.Kind {
	case TemplateLink:
		if t.Button != nil {
			c.Buttons = []Button{{Title: t.Button.Title, URL: t.Button.URL}}
		}
	case TemplateImage:
		c.Attachments = []Attachment{{Type: "image", URL: t.ImageURL}}
	}
	return c
}

// TemplateIDFromTitle is a new template's ID: the title's Latin letters
// and digits, and suffix.
func TemplateIDFromTitle(title, suffix string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	id := strings.Trim(b.String(), "-")
	if id == "" {
		id = "template"
	}
	return fmt.Sprintf("%s-%s", id, suffix)
}

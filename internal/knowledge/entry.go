// Package knowledge is the conversational AI's knowledge base: its entries,
// their exchange format (a JSON array, as `POST /api/v1/knowledge/import`
// takes and `GET /api/v1/knowledge/export` returns) and their validation.
package knowledge

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/handoff-chat/handoff/internal/chat"
)

// Bounds of an entry.
const (
	MaxIDBytes        = 64
	MaxQuestionRunes  = 500
	MaxAlternates     = 50
	MaxAnswerRunes    = chat.MaxTextRunes
	MaxLinks          = 3
	MaxEntriesImport  = 5000
	maxLanguageLength = 8
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Entry is one question the AI can answer: the question in its language,
// other ways customers ask it, the answer, optional links shown as buttons,
// and optional translations of question and answer by language code.
type Entry struct {
	ID           string                 `json:"id"`
	Lang         string                 `json:"lang"`
	Question     string                 `json:"question"`
	Alternates   []string               `json:"alternates,omitempty"`
	Answer       string                 `json:"answer"`
	Links        []Link                 `json:"links,omitempty"`
	Translations map[string]Translation `json:"translations,omitempty"`
}

// Link is a web link offered with an answer.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Translation is an entry's question and answer in another language.
type Translation struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// AnswerIn is the entry's answer in lang where it has one, else in its own
// language, and the language it is in.
func (e Entry) AnswerIn(lang string) (answer, answerLang string) {
	if t, ok := e.Translations[lang]; ok && t.Answer != "" {
		return t.Answer, lang
	}
	return e.Answer, e.Lang
}

// Validate checks every field against the entry's bounds and says what is
// wrong, naming the field.
func (e Entry) Validate() error {
	var errs []error
	errs = append(errs, CheckID("id", e.ID))
	if chat.PrimaryLanguage(e.Lang) != e.Lang || len(e.Lang) > maxLanguageLength {
		errs = append(errs, fmt.Errorf("lang %s must be a lower-case language code like bg or en", chat.Quote(e.Lang)))
	}
	errs = append(errs, checkQuestion("question", e.Question))
	if len(e.Alternates) > MaxAlternates {
		errs = append(errs, fmt.Errorf("alternates: at most %d, got %d", MaxAlternates, len(e.Alternates)))
	}
	for i, a := range e.Alternates {
		errs = append(errs, checkQuestion(fmt.Sprintf("alternates[%d]", i), a))
	}
	errs = append(errs, chat.CheckText("answer", e.Answer))
	if len(e.Links) > MaxLinks {
		errs = append(errs, fmt.Errorf("links: at most %d, got %d", MaxLinks, len(e.Links)))
	}
	for i, l := range e.Links {
		errs = append(errs, chat.CheckTitle(fmt.Sprintf("links[%d].title", i), l.Title), chat.CheckURL(fmt.Sprintf("links[%d].url", i), l.URL))
	}
	for lang, t := range e.Translations {
		if chat.PrimaryLanguage(lang) != lang || lang == e.Lang {
			errs = append(errs, fmt.Errorf("translations: %s must be a lower-case language code other than the entry's own", chat.Quote(lang)))
		}
		errs = append(errs, checkQuestion("translations."+lang+".question", t.Question), chat.CheckText("translations."+lang+".answer", t.Answer))
	}
	return errors.Join(errs...)
}

// CheckID says what is wrong with an entry ID given as field; nil when it is
// well-formed.
func CheckID(field, id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("%s %s must be 1-%d letters, digits, '.', '_' or '-', starting with a letter or digit", field, chat.Quote(id), MaxIDBytes)
	}
	return nil
}

func checkQuestion(field, s string) error {
	if err := chat.CheckText(field, s); err != nil {
		return err
	}
	if n := len([]rune(s)); n > MaxQuestionRunes {
		return fmt.Errorf("%s is %d characters long; at most %d", field, n, MaxQuestionRunes)
	}
	return nil
}

// Decode reads a knowledge base in the exchange format: a JSON array of
// entries. Every entry is validated and IDs must be unique; the error names
// the entry and the field.
func Decode(r io.Reader) ([]Entry, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var entries []Entry
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("knowledge base: not a JSON array of entries: %w", err)
	}
	if len(entries) > MaxEntriesImport {
		return nil, fmt.Errorf("knowledge base: at most %d entries at once, got %d", MaxEntriesImport, len(entries))
	}
	seen := map[string]int{}
	var errs []error
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("entry %d (%s): %w", i+1, chat.Quote(e.ID), err))
		}
		if first, dup := seen[e.ID]; dup {
			errs = append(errs, fmt.Errorf("entry %d: id %s is also entry %d's", i+1, chat.Quote(e.ID), first))
		}
		seen[e.ID] = i + 1
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return entries, nil
}

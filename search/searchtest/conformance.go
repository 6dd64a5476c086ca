// Package searchtest is the conformance suite every search backend must pass.
// Each backend's tests call Run with a function that opens a fresh, empty index.
package searchtest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/search"
)

// visibleWithin bounds how long a backend may take to make a write searchable.
const visibleWithin = 10 * time.Second

var base = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// Run runs every conformance test against indexes made by open.
func Run(t *testing.T, open func(t *testing.T) search.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, idx search.Index)
	}{
		{"KeywordSearchStaysInsideOneConversation", testInsideOneConversation},
		{"BulgarianWordForms", testBulgarianWordForms},
		{"EnglishWordForms", testEnglishWordForms},
		{"HighlightsMarkMatchesAndEscapeHTML", testHighlights},
		{"NewestFirstAndByRelevance", testSort},
		{"Paging", testPaging},
		{"IndexingTheSameMessageTwiceKeepsOne", testIdempotentMessages},
		{"OneIDInTwoConversationsOrBySenderIsTwoMessages", testMessageKeys},
		{"NameSearchPrefixCaseDiacriticsAndScripts", testNameSearch},
		{"ConversationOrderAndOpenFilter", testConversationOrder},
		{"HumanAgentPeriodKeepsAConversationListed", testHumanAgentPeriod},
		{"OlderConversationWriteIsIgnored", testConversationVersioning},
		{"ChangedConversationsInTheOrderStored", testConversationsChangedSince},
		{"AIMarkerIsStoredAndReplaced", testAIMarker},
		{"DeclinedQuestionsNewestFirstWithoutSmallTalk", testDeclinedQuestions},
		{"EntryStatsCountAnswersHelpedAndHumanRequests", testEntryStats},
		{"TemplateSendsCountStaffMessagesOnce", testTemplateSends},
		{"KnowledgeEntryIsStoredWhole", testKnowledgeStoredWhole},
		{"KnowledgeLaterRevisionWins", testKnowledgeRevisions},
		{"KnowledgeDeleteLeavesATombstone", testKnowledgeTombstones},
		{"KnowledgeManyEntries", testKnowledgeManyEntries},
		{"KnowledgeIsApartFromMessages", testKnowledgeLeavesMessagesAlone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			idx := open(t)
			tc.fn(t, idx)
		})
	}
}

func msg(conv, id, sender, text string, minute int) search.Message {
	return search.Message{
		ID: id, ConversationID: conv, Channel: "webchat", CustomerID: strings.TrimPrefix(conv, "conversation/webchat/"),
		Sender: sender, Text: text, SentAt: base.Add(time.Duration(minute) * time.Minute),
	}
}

func index(t *testing.T, idx search.Index, msgs ...search.Message) {
	t.Helper()
	if err := idx.IndexMessages(context.Background(), msgs); err != nil {
		t.Fatalf("index messages: %v", err)
	}
}

// eventually runs query until check passes or the visibility bound runs out.
func eventually[T any](t *testing.T, what string, query func() (T, error), check func(T) error) T {
	t.Helper()
	deadline := time.Now().Add(visibleWithin)
	for {
		got, err := query()
		if err == nil {
			err = check(got)
		}
		if err == nil {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func searchIDs(t *testing.T, idx search.Index, q search.MessageQuery, want ...string) search.MessageResults {
	t.Helper()
	if q.Size == 0 {
		q.Size = 20
	}
	if q.Page == 0 {
		q.Page = 1
	}
	return eventually(t, fmt.Sprintf("search %q in %s", q.Text, q.ConversationID),
		func() (search.MessageResults, error) { return idx.SearchMessages(context.Background(), q) },
		func(r search.MessageResults) error {
			got := ids(r)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				return fmt.Errorf("found %v, want %v", got, want)
			}
			return nil
		})
}

func ids(r search.MessageResults) []string {
	out := []string{}
	for _, h := range r.Hits {
		out = append(out, h.Message.ID)
	}
	return out
}

func testInsideOneConversation(t *testing.T, idx search.Index) {
	a, b := "conversation/webchat/a", "conversation/webchat/b"
	index(t, idx,
		msg(a, "a1", "customer", "Where is my parcel?", 1),
		msg(a, "a2", "staff", "Your parcel left the warehouse today.", 2),
		msg(b, "b1", "customer", "My parcel is damaged", 3),
	)
	r := searchIDs(t, idx, search.MessageQuery{ConversationID: a, Text: "parcel", Sort: search.SortNewest}, "a2", "a1")
	if r.Total != 2 {
		t.Errorf("total %d, want 2", r.Total)
	}
	got := r.Hits[0].Message
	want := msg(a, "a2", "staff", "Your parcel left the warehouse today.", 2)
	if got.ConversationID != want.ConversationID || got.Sender != "staff" || got.Text != want.Text || !got.SentAt.Equal(want.SentAt) {
		t.Errorf("stored message %+v, want %+v", got, want)
	}
	searchIDs(t, idx, search.MessageQuery{ConversationID: a, Text: "damaged"})
}

func testBulgarianWordForms(t *testing.T, idx search.Index) {
	c := "conversation/webchat/bg"
	index(t, idx,
		msg(c, "m1", "customer", "Доставката още не е пристигнала", 1),
		msg(c, "m2", "staff", "Доставки до офис на Еконт отнемат 2 дни", 2),
		msg(c, "m3", "customer", "Искам връщане на продукта", 3),
		msg(c, "m4", "customer", "Нямам връзка с куриера", 4),
	)
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "доставка", Sort: search.SortNewest}, "m2", "m1")
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "ДОСТАВКИТЕ", Sort: search.SortNewest}, "m2", "m1")
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "връщане", Sort: search.SortNewest}, "m3")
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "куриер", Sort: search.SortNewest}, "m4")
}

func testEnglishWordForms(t *testing.T, idx search.Index) {
	c := "conversation/webchat/en"
	index(t, idx,
		msg(c, "m1", "customer", "Deliveries to Varna take too long", 1),
		msg(c, "m2", "staff", "We are delivering your order tomorrow", 2),
		msg(c, "m3", "customer", "Thanks!", 3),
	)
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "delivery", Sort: search.SortNewest}, "m1")
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "orders", Sort: search.SortNewest}, "m2")
}

func testHighlights(t *testing.T, idx search.Index) {
	c := "conversation/webchat/hl"
	index(t, idx, msg(c, "m1", "customer", "<b>Hi</b> the refund for my refrigerator never came", 1))
	r := searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "refund", Sort: search.SortRelevance}, "m1")
	h := strings.Join(r.Hits[0].Highlights, " … ")
	if !strings.Contains(h, "<mark>refund</mark>") {
		t.Errorf("highlights %q do not mark the match", h)
	}
	if strings.Contains(h, "<b>") {
		t.Errorf("highlights %q let the message's HTML through", h)
	}
}

func testSort(t *testing.T, idx search.Index) {
	c := "conversation/webchat/sort"
	index(t, idx,
		msg(c, "old", "customer", "warranty warranty warranty: how long is the warranty?", 1),
		msg(c, "mid", "staff", "The warranty is two years", 2),
		msg(c, "new", "customer", "ok, and is the warranty valid abroad? I travel a lot and want to know before I order anything big", 3),
	)
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "warranty", Sort: search.SortNewest}, "new", "mid", "old")
	r := searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "warranty", Sort: search.SortRelevance}, "old", "mid", "new")
	if r.Hits[0].Score < r.Hits[2].Score {
		t.Errorf("relevance scores %v are not descending", []float64{r.Hits[0].Score, r.Hits[1].Score, r.Hits[2].Score})
	}
}

func testPaging(t *testing.T, idx search.Index) {
	c := "conversation/webchat/pages"
	var msgs []search.Message
	for i := 1; i <= 5; i++ {
		msgs = append(msgs, msg(c, fmt.Sprintf("m%d", i), "customer", fmt.Sprintf("order number %d", i), i))
	}
	index(t, idx, msgs...)
	r := searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "order", Sort: search.SortNewest, Page: 2, Size: 2}, "m3", "m2")
	if r.Total != 5 {
		t.Errorf("total %d, want 5 across pages", r.Total)
	}
	searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "order", Sort: search.SortNewest, Page: 3, Size: 2}, "m1")
}

func testIdempotentMessages(t *testing.T, idx search.Index) {
	c := "conversation/webchat/dup"
	m := msg(c, "mid.123", "customer", "invoice please", 1)
	index(t, idx, m)
	index(t, idx, m, m)
	r := searchIDs(t, idx, search.MessageQuery{ConversationID: c, Text: "invoice", Sort: search.SortNewest}, "mid.123")
	if r.Total != 1 {
		t.Errorf("total %d after indexing one message three times", r.Total)
	}
}

func testMessageKeys(t *testing.T, idx search.Index) {
	a, b := "conversation/webchat/key-a", "conversation/webchat/key-b"
	index(t, idx,
		msg(a, "x", "customer", "refund for my order", 1),
		msg(a, "x", "staff", "the refund is on its way", 2),
		msg(b, "x", "customer", "refund please", 3),
	)
	r := searchIDs(t, idx, search.MessageQuery{ConversationID: a, Text: "refund", Sort: search.SortNewest}, "x", "x")
	if r.Hits[0].Message.Sender != "staff" || r.Hits[1].Message.Sender != "customer" {
		t.Errorf("hits %+v, want the staff and the customer message with ID x", r.Hits)
	}
	searchIDs(t, idx, search.MessageQuery{ConversationID: b, Text: "refund", Sort: search.SortNewest}, "x")
}

func conv(id, name string, lastMinute int, agentMinute int) chat.ConversationSummary {
	windowCloses := base.Add(time.Duration(lastMinute)*time.Minute + 24*time.Hour)
	c := chat.ConversationSummary{
		ID: "conversation/webchat/" + id, Channel: "webchat", CustomerID: id, CustomerName: name, State: "bot",
		LastMessageAt:  base.Add(time.Duration(lastMinute) * time.Minute),
		WindowClosesAt: windowCloses,
		StaffDeadline:  windowCloses,
		UpdatedAt:      base.Add(time.Duration(lastMinute) * time.Minute),
	}
	if agentMinute > 0 {
		at := base.Add(time.Duration(agentMinute) * time.Minute)
		c.AgentRequestedAt = &at
		c.State = "agent_requested"
	}
	return c
}

func upsert(t *testing.T, idx search.Index, cs ...chat.ConversationSummary) {
	t.Helper()
	for _, c := range cs {
		if err := idx.UpsertConversation(context.Background(), c); err != nil {
			t.Fatalf("upsert %s: %v", c.ID, err)
		}
	}
}

func findNames(t *testing.T, idx search.Index, q search.ConversationQuery, want ...string) []chat.ConversationSummary {
	t.Helper()
	if q.Size == 0 {
		q.Size = 50
	}
	return eventually(t, fmt.Sprintf("conversations named %q open at %v", q.Name, q.OpenAt),
		func() ([]chat.ConversationSummary, error) { return idx.SearchConversations(context.Background(), q) },
		customersAre(want))
}

func testNameSearch(t *testing.T, idx search.Index) {
	upsert(t, idx,
		conv("ivan", "Иван Петров", 1, 0),
		conv("maria", "Мария Иванова", 2, 0),
		conv("jose", "José Pérez", 3, 0),
		conv("peter", "Peter Smith", 4, 0),
	)
	findNames(t, idx, search.ConversationQuery{Name: "ив"}, "maria", "ivan")   // both have a word starting with ив
	findNames(t, idx, search.ConversationQuery{Name: "Иван П"}, "ivan")        // every word is a prefix
	findNames(t, idx, search.ConversationQuery{Name: "ПЕТРОВ"}, "ivan")        // case
	findNames(t, idx, search.ConversationQuery{Name: "ivan"}, "maria", "ivan") // Latin finds Cyrillic
	findNames(t, idx, search.ConversationQuery{Name: "jose pe"}, "jose")       // diacritics ignored
	findNames(t, idx, search.ConversationQuery{Name: "Pér"}, "jose")
	findNames(t, idx, search.ConversationQuery{Name: "pet"}, "peter", "ivan")
	findNames(t, idx, search.ConversationQuery{Name: "nobody"})
}

func testConversationOrder(t *testing.T, idx search.Index) {
	upsert(t, idx,
		conv("quiet-old", "A", 10, 0),
		conv("quiet-new", "B", 30, 0),
		conv("asked-late", "C", 20, 25),
		conv("asked-early", "D", 5, 6),
		conv("closed", "E", -2*24*60, 0),
	)
	findNames(t, idx, search.ConversationQuery{}, "asked-early", "asked-late", "quiet-new", "quiet-old", "closed")
	findNames(t, idx, search.ConversationQuery{OpenAt: base.Add(time.Hour)}, "asked-early", "asked-late", "quiet-new", "quiet-old")
	cs := findNames(t, idx, search.ConversationQuery{Name: "c"}, "asked-late")
	if got := cs[0]; got.State != "agent_requested" || got.AgentRequestedAt == nil || !got.AgentRequestedAt.Equal(base.Add(25*time.Minute)) ||
		!got.WindowClosesAt.Equal(base.Add(20*time.Minute+24*time.Hour)) {
		t.Errorf("stored conversation %+v", got)
	}
}

// A Messenger conversation whose window closed stays listed while staff may
// answer with the HUMAN_AGENT tag, and leaves the list when that ends.
func testHumanAgentPeriod(t *testing.T, idx search.Index) {
	humanAgent := conv("human-agent", "A", -2*24*60, 0) // the window closed a day ago
	humanAgent.ID, humanAgent.Channel = "conversation/messenger/human-agent", "messenger"
	until := humanAgent.LastMessageAt.Add(chat.HumanAgentWindow)
	humanAgent.HumanAgentUntil = &until
	humanAgent.StaffDeadline = until
	upsert(t, idx, humanAgent, conv("closed", "B", -2*24*60, 0), conv("open", "C", 10, 0))

	cs := findNames(t, idx, search.ConversationQuery{OpenAt: base.Add(time.Hour)}, "open", "human-agent")
	got := cs[1]
	if !got.StaffDeadline.Equal(until) || got.HumanAgentUntil == nil || !got.HumanAgentUntil.Equal(until) ||
		!got.WindowClosesAt.Equal(humanAgent.WindowClosesAt) {
		t.Errorf("stored conversation %+v, want the staff deadline and HUMAN_AGENT period %s", got, until)
	}
	findNames(t, idx, search.ConversationQuery{OpenAt: until.Add(-time.Minute)}, "human-agent")
	findNames(t, idx, search.ConversationQuery{OpenAt: until})
}

func testConversationVersioning(t *testing.T, idx search.Index) {
	newer := conv("v", "New Name", 10, 0)
	newer.State = "live_chat"
	older := conv("v", "Old Name", 5, 0)
	upsert(t, idx, newer)
	upsert(t, idx, older)
	cs := findNames(t, idx, search.ConversationQuery{Name: "new"}, "v")
	if cs[0].State != "live_chat" {
		t.Errorf("state %s, want the newer write's live_chat", cs[0].State)
	}
	findNames(t, idx, search.ConversationQuery{Name: "old"})
}

// The change feed's query: every document stored since a moment, stamped
// by the backend, in the order stored; a later write of one conversation
// moves it to the end with its new content; an ignored older write does
// not show up as a change.
func testConversationsChangedSince(t *testing.T, idx search.Index) {
	before := time.Now().Add(-time.Second)
	a, b := conv("changed-a", "A", 1, 0), conv("changed-b", "B", 2, 0)
	a.LastSeq, a.Preview, a.PreviewSender = 7, "hello", chat.SenderCustomer
	upsert(t, idx, a, b)
	first := changedSince(t, idx, before, "changed-a", "changed-b")
	if got := first[0]; got.LastSeq != 7 || got.Preview != "hello" || got.PreviewSender != chat.SenderCustomer {
		t.Errorf("stored document %+v, want last_seq, preview and its sender kept", got)
	}
	if first[0].IndexedAt.Before(before) || first[1].IndexedAt.Before(first[0].IndexedAt) {
		t.Errorf("indexed_at %s, %s: want both stamped after %s, in the order stored", first[0].IndexedAt, first[1].IndexedAt, before)
	}
	a.UpdatedAt, a.State = a.UpdatedAt.Add(time.Minute), "live_chat"
	upsert(t, idx, a)
	older := b
	older.UpdatedAt = b.UpdatedAt.Add(-time.Minute)
	upsert(t, idx, older)
	cs := changedSince(t, idx, before, "changed-b", "changed-a")
	if cs[1].State != "live_chat" || !cs[1].IndexedAt.After(first[1].IndexedAt) {
		t.Errorf("rewritten document %+v, want state live_chat stamped after %s", cs[1], first[1].IndexedAt)
	}
	changedSince(t, idx, cs[1].IndexedAt, "changed-a")
	changedSince(t, idx, cs[1].IndexedAt.Add(time.Millisecond))
	got, err := idx.ConversationsChangedSince(context.Background(), before, 1)
	if err != nil || len(got) != 1 || got[0].CustomerID != "changed-b" {
		t.Errorf("limit 1: %v %v, want only the oldest stamp, changed-b", got, err)
	}
}

func changedSince(t *testing.T, idx search.Index, since time.Time, want ...string) []chat.ConversationSummary {
	t.Helper()
	return eventually(t, fmt.Sprintf("conversations changed since %s", since.Format(time.RFC3339Nano)),
		func() ([]chat.ConversationSummary, error) {
			return idx.ConversationsChangedSince(context.Background(), since, 0)
		},
		customersAre(want))
}

func declined(conv, id, text, reason string, minute int) search.Message {
	m := msg(conv, id, "customer", text, minute)
	m.AIDeclined, m.AIReason, m.AIScore = true, reason, 0.2
	return m
}

func answeredBy(conv, id, entry string, minute int, helped, asked bool) search.Message {
	m := msg(conv, id, "customer", "question "+id, minute)
	m.AIEntryID, m.AIScore, m.AIHelped, m.AIAskedForHuman = entry, 0.8, helped, asked
	return m
}

func testAIMarker(t *testing.T, idx search.Index) {
	a := "conversation/webchat/a"
	first := answeredBy(a, "a1", "delivery-price", 1, false, false)
	first.Text = "How much is delivery?"
	index(t, idx, first)
	later := first
	later.AIHelped = true
	index(t, idx, later)
	r := eventually(t, "the message with its marker changed",
		func() (search.MessageResults, error) {
			return idx.SearchMessages(context.Background(), search.MessageQuery{ConversationID: a, Text: "delivery", Size: 20, Page: 1})
		},
		func(r search.MessageResults) error {
			if len(r.Hits) != 1 || !r.Hits[0].Message.AIHelped {
				return fmt.Errorf("hits %+v, want one marked helped", r.Hits)
			}
			return nil
		})
	if got := r.Hits[0].Message; !reflect.DeepEqual(got, later) {
		t.Errorf("stored %+v, want %+v", got, later)
	}
}

func declinedTexts(ms []search.Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func testDeclinedQuestions(t *testing.T, idx search.Index) {
	a, b := "conversation/webchat/a", "conversation/webchat/b"
	staff := msg(a, "s1", "staff", "Do you ship to Greece?", 9)
	staff.AIDeclined = true
	index(t, idx,
		declined(a, "a1", "Do you ship to Greece?", "low_confidence", 1),
		declined(a, "a2", "Hello!", search.ReasonSmallTalk, 2),
		declined(a, "a3", "I want a person", search.ReasonHumanRequest, 3),
		declined(b, "b1", "Доставяте ли до Гърция?", "no_key_concept", 4),
		declined(b, "b2", "Where is order 12345?", "out_of_scope:specific_order", 5),
		answeredBy(b, "b3", "delivery-price", 6, false, false),
		msg(b, "b4", "customer", "no marker", 7),
		staff,
	)
	ctx := context.Background()
	got := eventually(t, "declined questions",
		func() ([]search.Message, error) { return idx.DeclinedQuestions(ctx, search.DeclinedQuery{}) },
		func(ms []search.Message) error {
			if ids := strings.Join(declinedTexts(ms), ","); ids != "b2,b1,a1" {
				return fmt.Errorf("found %s, want b2,b1,a1", ids)
			}
			return nil
		})
	if !reflect.DeepEqual(got[1], declined(b, "b1", "Доставяте ли до Гърция?", "no_key_concept", 4)) {
		t.Errorf("returned %+v", got[1])
	}
	since, err := idx.DeclinedQuestions(ctx, search.DeclinedQuery{Since: base.Add(4 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if ids := strings.Join(declinedTexts(since), ","); ids != "b2,b1" {
		t.Errorf("since minute 4: %s, want b2,b1", ids)
	}
	one, err := idx.DeclinedQuestions(ctx, search.DeclinedQuery{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ids := strings.Join(declinedTexts(one), ","); ids != "b2" {
		t.Errorf("size 1: %s, want b2", ids)
	}
}

func testEntryStats(t *testing.T, idx search.Index) {
	a, b := "conversation/webchat/a", "conversation/webchat/b"
	index(t, idx,
		answeredBy(a, "a1", "delivery-price", 1, true, false),
		answeredBy(a, "a2", "delivery-price", 2, false, true),
		answeredBy(b, "b1", "delivery-price", 3, false, false),
		answeredBy(b, "b2", "returns", 4, true, false),
		declined(b, "b3", "Do you ship to Greece?", "low_confidence", 5),
		msg(b, "b4", "customer", "no marker", 6),
	)
	// The same message indexed again with a changed marker counts once.
	index(t, idx, answeredBy(b, "b1", "delivery-price", 3, false, true))
	want := []search.EntryStats{
		{EntryID: "delivery-price", Answered: 3, Helped: 1, AskedForHuman: 2},
		{EntryID: "returns", Answered: 1, Helped: 1},
	}
	eventually(t, "entry counters",
		func() ([]search.EntryStats, error) { return idx.EntryStats(context.Background()) },
		func(got []search.EntryStats) error {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("got %+v, want %+v", got, want)
			}
			return nil
		})
}

func testTemplateSends(t *testing.T, idx search.Index) {
	a, b := "conversation/webchat/a", "conversation/webchat/b"
	fromTemplate := func(conv, id, template string, minute int) search.Message {
		m := msg(conv, id, "staff", "from a template", minute)
		m.TemplateID = template
		return m
	}
	index(t, idx,
		fromTemplate(a, "s1", "opening-hours", 1),
		fromTemplate(a, "s2", "opening-hours", 2),
		fromTemplate(b, "s1", "opening-hours", 3),
		fromTemplate(b, "s2", "gift-cards", 4),
		msg(b, "s3", "staff", "typed by hand", 5),
	)
	// A message indexed again (a retried activity) counts once.
	index(t, idx, fromTemplate(a, "s1", "opening-hours", 1), fromTemplate(b, "s2", "gift-cards", 4))
	want := []search.TemplateSends{{TemplateID: "gift-cards", Sent: 1}, {TemplateID: "opening-hours", Sent: 3}}
	eventually(t, "template send counts",
		func() ([]search.TemplateSends, error) { return idx.TemplateSends(context.Background()) },
		func(got []search.TemplateSends) error {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("got %+v, want %+v", got, want)
			}
			return nil
		})
}

// customersAre checks that conversations are those of the customers want,
// in that order.
func customersAre(want []string) func([]chat.ConversationSummary) error {
	return func(cs []chat.ConversationSummary) error {
		var got []string
		for _, c := range cs {
			got = append(got, c.CustomerID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			return fmt.Errorf("found %v, want %v", got, want)
		}
		return nil
	}
}

package learning

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func TestWordsAreAlikeAcrossFormsAndScripts(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool // Similarity >= DefaultThreshold
	}{
		{"word forms in Bulgarian", "Доставяте ли до Гърция?", "Доставка до Гърция?", true},
		{"Cyrillic and Latin script", "Доставяте ли до Гърция?", "dostavyate li do Gartsiya", true},
		{"case and punctuation", "DO YOU SHIP TO GREECE!!!", "do you ship to greece", true},
		{"English plural", "Do you sell gift cards?", "Do you sell a gift card?", true},
		{"Bulgarian word forms and script", "Имате ли подаръчни ваучери?", "podarachen vaucher imate li", true},
		{"different topics", "Доставяте ли до Гърция?", "Имате ли подаръчни ваучери?", false},
		{"one shared word of several", "Do you ship to Greece?", "Do you ship furniture by truck?", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Similarity(Words(tc.a), Words(tc.b))
			if got := s >= DefaultThreshold; got != tc.want {
				t.Errorf("Similarity(%q, %q) = %.2f (words %v, %v); alike %v, want %v", tc.a, tc.b, s, Words(tc.a), Words(tc.b), got, tc.want)
			}
		})
	}
}

func TestWordsLeaveOutShortAndFunctionWords(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Can you ship to Greece?", []string{"greec", "ship"}},
		{"Колко струва?", []string{"struv"}},
		{"Hi!", nil},
		{"", nil},
	}
	for _, tc := range tests {
		var got []string
		for w := range Words(tc.text) {
			got = append(got, w)
		}
		if strings.Join(sorted(got), ",") != strings.Join(tc.want, ",") {
			t.Errorf("Words(%q) = %v, want %v", tc.text, sorted(got), tc.want)
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func q(text string, minute int, conv string) Question {
	return Question{Text: text, At: t0.Add(time.Duration(minute) * time.Minute), ConversationID: conv}
}

func TestGroupQuestions(t *testing.T) {
	tests := []struct {
		name      string
		questions []Question
		want      []string // "count:question:example conversations"
	}{
		{"empty", nil, nil},
		{
			"ranked by how often asked, then by the latest",
			[]Question{
				q("Do you ship to Greece?", 1, "c1"),
				q("Имате ли подаръчни ваучери?", 2, "c2"),
				q("Доставяте ли до Гърция?", 3, "c3"),
				q("Can you ship to Greece?", 4, "c4"),
				q("dostavyate li do Gartsiya", 5, "c5"),
				q("Доставка до Гърция?", 6, "c6"),
				q("Can I pay with bitcoin?", 7, "c7"),
			},
			[]string{
				"3:Доставка до Гърция?:c6 c5 c3",
				"2:Can you ship to Greece?:c4 c1",
				"1:Can I pay with bitcoin?:c7",
				"1:Имате ли подаръчни ваучери?:c2",
			},
		},
		{
			"at most five examples, newest first",
			[]Question{
				q("gift cards?", 1, "a"), q("gift card", 2, "b"), q("Gift cards", 3, "c"),
				q("gift cards!", 4, "d"), q("GIFT CARD?", 5, "e"), q("gift cards??", 6, "f"),
			},
			[]string{"6:gift cards??:f e d c b"},
		},
		{
			"texts without words group by their text",
			[]Question{q("??", 1, "a"), q("ok", 2, "b"), q("??", 3, "c")},
			[]string{"2:??:c a", "1:ok:b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			groups := GroupQuestions(tc.questions, 0)
			var got []string
			for _, g := range groups {
				var convs []string
				for _, e := range g.Examples {
					convs = append(convs, e.ConversationID)
				}
				got = append(got, g.Question+":"+strings.Join(convs, " "))
				got[len(got)-1] = strconv.Itoa(g.Count) + ":" + got[len(got)-1]
				if !g.LastAskedAt.Equal(g.Examples[0].At) {
					t.Errorf("group %q last asked %v, newest example %v", g.Question, g.LastAskedAt, g.Examples[0].At)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("groups\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestGroupQuestionsThreshold(t *testing.T) {
	qs := []Question{q("Do you ship to Greece?", 1, "a"), q("Do you ship furniture to Greece?", 2, "b")}
	for _, tc := range []struct {
		threshold float64
		groups    int
	}{{0.5, 1}, {0.9, 2}, {0.1, 1}} {
		if got := len(GroupQuestions(qs, tc.threshold)); got != tc.groups {
			t.Errorf("threshold %.1f: %d groups, want %d", tc.threshold, got, tc.groups)
		}
	}
}

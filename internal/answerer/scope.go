package answerer

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Decline reasons of the out-of-scope gate.
const (
	ReasonSpecificOrder = "out_of_scope:specific_order"
	ReasonSmallTalk     = "out_of_scope:small_talk"
	ReasonCompetitor    = "out_of_scope:competitor"
	ReasonHumanRequest  = "out_of_scope:human_request"
	ReasonComplaint     = "out_of_scope:complaint"
)

// orderNumber is an order or tracking number written in a message: "#1234",
// "№ 1234", or a run of five or more digits that is not a phone number (and,
// once amounts are removed, not a sum of money).
var orderNumber = regexp.MustCompile(`(?:#|№|\bno\.?\s?|\bnr\.?\s?)\s?\d{3,}|(?:^|[^\d+])[1-9]\d{4,}(?:[^\d]|$)`)

// amount is a sum of money: a number followed by a currency.
var amount = regexp.MustCompile(`\d+\s*(?:лв|лева|lv|leva|bgn|eur|евро|euro|€|\$)`)

// gate decides whether a question is one for the knowledge base at all, and
// if not, why: it returns a decline reason or "".
func gate(an analysis, question string) string {
	if _, ok := an.concepts[ReasonCompetitor]; ok {
		return ReasonCompetitor
	}
	if _, ok := an.concepts[ReasonHumanRequest]; ok {
		return ReasonHumanRequest
	}
	if _, ok := an.concepts[ReasonComplaint]; ok {
		return ReasonComplaint
	}
	if orderNumber.MatchString(amount.ReplaceAllString(strings.ToLower(question), " ")) || notReceived(an.tokens) {
		return ReasonSpecificOrder
	}
	hasTopic, hasChat := false, false
	for c := range an.concepts {
		switch sharedLexicon.kinds[c] {
		case kindTopic, kindWeak, kindPlace:
			hasTopic = true
		case kindChat:
			hasChat = true
		}
	}
	if !hasTopic && (an.content == 0 || hasChat && an.content == 1) {
		return ReasonSmallTalk
	}
	return ""
}

// Roots of the verbs for something a customer expected and did not get.
var (
	bgExpected = []string{"получ", "пристигн", "пристигал", "дойд", "дошл", "дошъл", "възстанов", "върнал", "върнат", "доставил", "доставен", "изпратил", "обадил", "отговорил"}
	enExpected = []string{"arriv", "receiv", "came", "come", "got", "delivered", "refund", "shipped", "sent", "heard"}
	enNegation = map[string]bool{"not": true, "never": true, "haven't": true, "hasn't": true, "didn't": true, "havent": true, "hasnt": true, "didnt": true, "no": true, "nothing": true, "yet": true, "still": true}
)

// notReceived recognizes a customer reporting that something of a specific
// order has not happened: "още не е пристигнала", "не съм получил",
// "oshte nqma", "still hasn't arrived", "never received".
func notReceived(toks []token) bool {
	for i, t := range toks {
		if i+1 < len(toks) && waiting(t, toks[i+1]) {
			return true
		}
		neg := false
		switch {
		case len(t.cyr) > 0 && (t.cyr[0] == "не" || t.cyr[0] == "няма" || t.cyr[0] == "нищо"):
			neg = true
		case t.latin && enNegation[t.raw]:
			neg = true
		}
		if !neg {
			continue
		}
		// "още няма" alone is enough: "поръчах вчера и още няма".
		if len(t.cyr) > 0 && t.cyr[0] == "няма" && i > 0 && len(toks[i-1].cyr) > 0 && toks[i-1].cyr[0] == "още" &&
			(i+1 == len(toks) || utf8.RuneCountInString(toks[i+1].raw) <= 3 || len(toks[i+1].cyr) > 0 && toks[i+1].cyr[0] == "нищо") {
			return true
		}
		for j := i + 1; j < len(toks) && j <= i+4; j++ {
			u := toks[j]
			for _, c := range u.cyr {
				for _, r := range bgExpected {
					if strings.HasPrefix(c, r) && isParticiple(c) {
						return true
					}
				}
			}
			if u.latin {
				for _, r := range enExpected {
					if strings.HasPrefix(u.raw, r) && (r != "come" || u.raw == "come") {
						return i > 0 || t.raw != "no"
					}
				}
			}
		}
	}
	return false
}

// isParticiple reports Bulgarian past forms (получил, получила, дошли,
// възстановили, доставена): what was expected to have happened.
func isParticiple(w string) bool {
	for _, s := range []string{"л", "ла", "ли", "ло", "ен", "ена", "ено", "ени", "ат", "ата", "ати", "дошъл"} {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// waiting recognizes "още чакам", "чакам още", "вече чакам", "still waiting".
func waiting(a, b token) bool {
	if a.latin && b.latin {
		return a.raw == "still" && strings.HasPrefix(b.raw, "wait")
	}
	if len(a.cyr) == 0 || len(b.cyr) == 0 {
		return false
	}
	x, y := a.cyr[0], b.cyr[0]
	return (x == "още" || x == "вече") && strings.HasPrefix(y, "чака") || strings.HasPrefix(x, "чака") && y == "още"
}

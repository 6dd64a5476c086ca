// Package answerer chooses the knowledge-base entry that answers a customer's
// question, or declines. It reads Bulgarian in Cyrillic and in Latin letters
// and English, tolerates typos, and finds entries across the two languages
// through a bilingual lexicon of customer-support concepts.
//
// A question is decided in three steps: an out-of-scope gate (a specific
// order, a complaint, a competitor, small talk, a request for a person), a
// ranking of entries by shared concepts and word stems, and a check that the
// best entry covers the question's key concepts. The confidence is compared
// with Options.Threshold. An Answerer is safe for concurrent use.
package answerer

import (
	"math"
	"sort"

	"github.com/handoff-chat/handoff/internal/knowledge"
)

// DefaultThreshold is the confidence at or above which an answer is given.
const DefaultThreshold = 0.45

// minCoverage is the least share of the question's key concepts (weighted by
// how specific they are) that the chosen entry must cover.
const minCoverage = 0.6

// Decline reasons besides the out_of_scope:* ones of the gate.
const (
	ReasonLowConfidence = "low_confidence"
	ReasonNoKeyConcept  = "no_key_concept"
	ReasonEmpty         = "empty"
)

// Options tune an Answerer.
type Options struct {
	// Threshold is the confidence an answer needs; 0 means DefaultThreshold.
	Threshold float64
}

// Candidate is an entry considered for a question.
type Candidate struct {
	ID       string  `json:"id"`
	Score    float64 `json:"score"`
	Coverage float64 `json:"coverage"`
}

// Result is the answerer's decision on a question.
type Result struct {
	// ID is the chosen entry's, "" when the answerer declines.
	ID string `json:"id"`
	// Score is the confidence in [0,1] of the best entry (0 when the gate
	// declined).
	Score float64 `json:"score"`
	// Confident is Score >= the threshold with the key concepts covered.
	Confident bool `json:"confident"`
	// Reason says why the answerer declined; "" when it answers.
	Reason string `json:"reason,omitempty"`
	// Best and RunnerUp are the two best-ranked entries, for diagnostics.
	Best     Candidate `json:"best"`
	RunnerUp Candidate `json:"runner_up"`
}

// Answerer answers questions from a fixed set of entries.
type Answerer struct {
	lx        *lexicon
	threshold float64
	entries   []indexedEntry
	conceptDF map[string]int
	termDF    map[string]int
	postings  map[string][]int // concept or term → entries having it
	vocab     map[string]bool
	deletes   map[string][]string // a key with one letter removed → keys
	n         float64
}

type indexedEntry struct {
	id    string
	texts []bag           // question, alternates, translated questions
	full  map[string]bool // concepts of every text and of the answers
}

type bag struct {
	concepts map[string]bool
	terms    map[string]bool
	// weights of the concepts and terms, and their norm, once all entries
	// are indexed
	concW, termW []float64
	conc, term   []string
	norm         float64
}

// New indexes entries. Entries are copied; later changes to them are not seen.
func New(entries []knowledge.Entry, opts Options) *Answerer {
	a := &Answerer{
		lx:        sharedLexicon,
		threshold: opts.Threshold,
		conceptDF: map[string]int{},
		termDF:    map[string]int{},
		postings:  map[string][]int{},
		vocab:     map[string]bool{},
		deletes:   map[string][]string{},
		n:         float64(len(entries)),
	}
	if a.threshold <= 0 {
		a.threshold = DefaultThreshold
	}
	for i, e := range entries {
		ie := indexedEntry{id: e.ID, full: map[string]bool{}}
		questions := append([]string{e.Question}, e.Alternates...)
		answers := []string{e.Answer}
		for _, t := range e.Translations {
			questions = append(questions, t.Question)
			answers = append(answers, t.Answer)
		}
		terms := map[string]bool{}
		for _, q := range questions {
			an := a.lx.analyze(q, false)
			b := bag{concepts: map[string]bool{}, terms: map[string]bool{}}
			for c := range an.concepts {
				b.concepts[c] = true
				ie.full[c] = true
			}
			for _, t := range an.terms {
				b.terms[t] = true
				terms[t] = true
			}
			ie.texts = append(ie.texts, b)
		}
		for _, ans := range answers {
			for c := range a.lx.analyze(ans, false).concepts {
				ie.full[c] = true
			}
		}
		for c := range ie.full {
			a.conceptDF[c]++
			a.postings["c:"+c] = append(a.postings["c:"+c], i)
		}
		for t := range terms {
			a.termDF[t]++
			a.postings[t] = append(a.postings[t], i)
			if !a.vocab[t] {
				a.vocab[t] = true
				if len([]rune(t)) >= 6 {
					for _, d := range deletes1(t) {
						a.deletes[d] = append(a.deletes[d], t)
					}
				}
			}
		}
		a.entries = append(a.entries, ie)
	}
	for i := range a.entries {
		for j := range a.entries[i].texts {
			b := &a.entries[i].texts[j]
			norm := 0.0
			for c := range b.concepts {
				w := a.idf(a.conceptDF[c])
				if a.lx.kinds[c] == kindWeak {
					w *= 0.5
				}
				b.conc, b.concW = append(b.conc, c), append(b.concW, w)
				norm += w * w
			}
			for t := range b.terms {
				w := 0.6 * a.idf(a.termDF[t])
				b.term, b.termW = append(b.term, t), append(b.termW, w)
				norm += w * w
			}
			b.norm = math.Sqrt(norm)
		}
	}
	return a
}

var sharedLexicon = parseLexicon(lexiconSource)

// covers tells whether the entry answers for concept c.
func (e *indexedEntry) covers(c string) bool {
	if e.full[c] {
		return true
	}
	for _, alt := range covers[c] {
		if e.full[alt] {
			return true
		}
	}
	return false
}

func (a *Answerer) idf(df int) float64 {
	return math.Log(1 + (a.n+1)/(float64(df)+0.5))
}

// Threshold is the confidence an answer needs.
func (a *Answerer) Threshold() float64 { return a.threshold }

// Answer decides which entry answers question. lang, the customer's
// language as the conversation knows it, does not change the decision: the
// question is read from its own words and script (Cyrillic, Latin-script
// Bulgarian, English), which a customer's locale often contradicts, and
// every entry is matched in all its languages. The caller uses lang to pick
// the answer's translation.
func (a *Answerer) Answer(question, lang string) Result {
	an := a.lx.analyze(question, true)
	if reason := gate(an, question); reason != "" {
		return Result{Reason: reason}
	}
	if len(an.concepts) == 0 && len(an.terms) == 0 {
		return Result{Reason: ReasonEmpty}
	}
	q := a.questionBag(an)
	cands := a.rank(q)
	// The best entry that covers the question's key concepts, if any does;
	// else the best one, to be declined.
	pick := 0
	if q.hasKey() {
		for i, c := range cands {
			if c.Coverage >= minCoverage {
				pick = i
				break
			}
		}
	}
	res := Result{}
	if len(cands) > 0 {
		res.Best = cands[pick]
		res.Score = cands[pick].Score
	}
	for i, c := range cands {
		if i != pick {
			res.RunnerUp = c
			break
		}
	}
	switch {
	case len(cands) > 0 && q.hasKey() && res.Best.Coverage < minCoverage:
		res.Reason = ReasonNoKeyConcept
	case len(cands) == 0 && q.hasKey():
		res.Reason = ReasonNoKeyConcept
	case len(cands) == 0 || res.Score < a.threshold:
		res.Reason = ReasonLowConfidence
	default:
		res.ID = res.Best.ID
		res.Confident = true
	}
	return res
}

type questionBag struct {
	concepts  map[string]float64 // concept → weight
	key       map[string]float64 // topic concepts → weight
	keyWeight float64
	terms     map[string]float64
	norm      float64
	// places named in a question about a store, and the weight of the
	// most specific one
	places      map[string]bool
	placeWeight float64
}

func (q questionBag) hasKey() bool { return q.keyWeight > 0 || q.placeWeight > 0 }

func (a *Answerer) questionBag(an analysis) questionBag {
	q := questionBag{concepts: map[string]float64{}, key: map[string]float64{}, terms: map[string]float64{}}
	for c, h := range an.concepts {
		kind := a.lx.kinds[c]
		if kind != kindTopic && kind != kindWeak && kind != kindPlace {
			continue
		}
		w := a.idf(a.conceptDF[c])
		if kind == kindWeak {
			w *= 0.5
		}
		if h.soft {
			w *= 0.5
		}
		q.concepts[c] = w
		q.norm += w * w
		if kind == kindTopic && !h.soft {
			q.key[c] = w
			q.keyWeight += w
		}
	}
	// A place is a key concept of a question about a store itself: where
	// it is, when it opens, or whether there is one.
	_, store := an.concepts["store"]
	storeItself := true
	for c := range q.key {
		if c != "store" && c != "hours" && c != "address" && c != "contact" {
			storeItself = false
		}
	}
	if (store || q.keyWeight == 0) && storeItself {
		for c, h := range an.concepts {
			if a.lx.kinds[c] == kindPlace && !h.soft {
				if q.places == nil {
					q.places = map[string]bool{}
				}
				q.places[c] = true
				q.placeWeight = max(q.placeWeight, a.idf(a.conceptDF[c]))
			}
		}
	}
	for _, t := range an.terms {
		key := t
		if !a.vocab[t] {
			key = a.correct(t)
			if key == "" {
				continue
			}
		}
		w := 0.6 * a.idf(a.termDF[key])
		if key != t {
			w *= 0.7
		}
		if w > q.terms[key] {
			q.norm += w*w - q.terms[key]*q.terms[key]
			q.terms[key] = w
		}
	}
	q.norm = math.Sqrt(q.norm)
	return q
}

// correct maps an unknown key to a known one at one edit, if any.
func (a *Answerer) correct(t string) string {
	if len([]rune(t)) < 6 {
		return ""
	}
	best := ""
	for _, d := range append(deletes1(t), t) {
		for _, k := range a.deletes[d] {
			if best == "" || a.termDF[k] > a.termDF[best] {
				best = k
			}
		}
	}
	if best == "" {
		for _, d := range deletes1(t) {
			if a.vocab[d] && len([]rune(d)) >= 6 {
				return d
			}
		}
	}
	return best
}

func (a *Answerer) rank(q questionBag) []Candidate {
	seen := map[int]bool{}
	for c := range q.concepts {
		for _, i := range a.postings["c:"+c] {
			seen[i] = true
		}
	}
	for t := range q.terms {
		for _, i := range a.postings[t] {
			seen[i] = true
		}
	}
	cands := make([]Candidate, 0, len(seen))
	for i := range seen {
		e := &a.entries[i]
		best := 0.0
		for _, b := range e.texts {
			dot := 0.0
			for k, c := range b.conc {
				if qw, ok := q.concepts[c]; ok {
					dot += qw * b.concW[k]
				}
			}
			for k, t := range b.term {
				if qw, ok := q.terms[t]; ok {
					dot += qw * b.termW[k]
				}
			}
			if b.norm > 0 && q.norm > 0 {
				best = max(best, dot/(b.norm*q.norm))
			}
		}
		cov := 1.0
		if q.hasKey() {
			got := 0.0
			for c, w := range q.key {
				if e.covers(c) {
					got += w
				}
			}
			total := q.keyWeight
			// A question about a store is about the store in the place
			// it names.
			if q.placeWeight > 0 {
				total += q.placeWeight
				for c := range q.places {
					if e.full[c] {
						got += q.placeWeight
						break
					}
				}
			}
			cov = got / total
		}
		score := 0.65*best + 0.35*cov
		if !q.hasKey() {
			// Without a key concept only a close match of the wording
			// counts.
			score = 0.6 * best
		}
		cands = append(cands, Candidate{ID: e.id, Score: round3(score), Coverage: round3(cov)})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].Score != cands[j].Score {
			return cands[i].Score > cands[j].Score
		}
		return cands[i].ID < cands[j].ID
	})
	return cands
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

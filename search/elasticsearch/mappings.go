package elasticsearch

// schemaVersion is stored in the _meta of both mappings; New refuses an
// existing index that lacks it (an index created by dynamic mapping, or by
// something else, would search wrongly without any error), and adds the
// fields of a later version to an index of an earlier one. Version 2 added
// the AI marker's fields to messages, version 3 indexed_at to conversations
// (the change feed follows it).
const schemaVersion = 3

// Analyzer names of the conversations index.
const (
	nameIndexAnalyzer  = "handoff_name"
	nameSearchAnalyzer = "handoff_name_search"
	nameEdgeNGram      = "handoff_name_edge_ngram"
	nameTruncate       = "handoff_name_truncate"
	// maxNameGram is the longest name prefix indexed; longer query words are
	// cut to it by the search analyzer so they still match.
	maxNameGram = 20
)

// templatePriority beats the built-in templates (priority 100, e.g. logs-*-*)
// should a custom index prefix make the names match them.
const templatePriority = 200

func keyword() map[string]any { return map[string]any{"type": "keyword"} }

// longKeyword is for values such as URLs that may exceed Lucene's term limit.
func longKeyword() map[string]any { return map[string]any{"type": "keyword", "ignore_above": 2048} }

func date() map[string]any { return map[string]any{"type": "date"} }

func boolean() map[string]any { return map[string]any{"type": "boolean"} }

// indexSettings are shared by both indices. refresh_interval is set
// explicitly: left at its default, Elasticsearch stops refreshing a shard that
// has not been searched for 30s, and the first search after that waits for a
// refresh; written out, writes stay visible within a second.
func indexSettings() map[string]any {
	return map[string]any{
		"refresh_interval":     "1s",
		"auto_expand_replicas": "0-1",
	}
}

// messagesIndex is the settings and mappings of <prefix>-messages. The text
// is indexed three times: standard analysis (exact words, the base of
// highlights), Bulgarian and English (word forms). A query word matches if
// any of the three finds it.
func messagesIndex() map[string]any {
	return map[string]any{
		"settings": map[string]any{"index": indexSettings()},
		"mappings": map[string]any{
			"_meta":    map[string]any{"handoff_schema": schemaVersion},
			"dynamic":  false,
			"_routing": map[string]any{"required": true},
			"properties": map[string]any{
				"id":              keyword(),
				"conversation_id": keyword(),
				"channel":         keyword(),
				"customer_id":     keyword(),
				"sender":          keyword(),
				"author":          keyword(),
				"text": map[string]any{
					"type":     "text",
					"analyzer": "standard",
					"fields": map[string]any{
						"bg": map[string]any{"type": "text", "analyzer": "bulgarian"},
						"en": map[string]any{"type": "text", "analyzer": "english"},
					},
				},
				"links":       longKeyword(),
				"attachments": longKeyword(),
				"template_id": keyword(),
				"sent_at":     date(),
				// The AI marker of a customer message.
				"ai_entry_id":        keyword(),
				"ai_score":           map[string]any{"type": "float"},
				"ai_declined":        boolean(),
				"ai_reason":          keyword(),
				"ai_helped":          boolean(),
				"ai_asked_for_human": boolean(),
			},
		},
	}
}

// conversationsIndex is the settings and mappings of <prefix>-conversations.
// Names are indexed as every prefix (1 to 20 letters) of every word, lower
// case and folded to ASCII where Latin; queries are analysed the same way
// without the prefixes, so a query word matches any name word it starts.
// customer_name_latin holds the Latin transliteration(s) made in Go, because
// Cyrillic-to-Latin transliteration needs the ICU plugin in Elasticsearch.
func conversationsIndex() map[string]any {
	name := map[string]any{"type": "text", "analyzer": nameIndexAnalyzer, "search_analyzer": nameSearchAnalyzer}
	return map[string]any{
		"settings": map[string]any{
			"index": indexSettings(),
			"analysis": map[string]any{
				"filter": map[string]any{
					nameEdgeNGram: map[string]any{"type": "edge_ngram", "min_gram": 1, "max_gram": maxNameGram},
					nameTruncate:  map[string]any{"type": "truncate", "length": maxNameGram},
				},
				"analyzer": map[string]any{
					nameIndexAnalyzer: map[string]any{
						"type":      "custom",
						"tokenizer": "standard",
						"filter":    []string{"lowercase", "asciifolding", nameEdgeNGram},
					},
					nameSearchAnalyzer: map[string]any{
						"type":      "custom",
						"tokenizer": "standard",
						"filter":    []string{"lowercase", "asciifolding", nameTruncate},
					},
				},
			},
		},
		"mappings": map[string]any{
			"_meta":    map[string]any{"handoff_schema": schemaVersion},
			"dynamic":  false,
			"_routing": map[string]any{"required": true},
			"properties": map[string]any{
				"id":                   keyword(),
				"channel":              keyword(),
				"customer_id":          keyword(),
				"state":                keyword(),
				"customer_name":        name,
				"customer_name_latin":  name,
				"last_message_at":      date(),
				"window_closes_at":     date(),
				"staff_deadline":       date(),
				"human_agent_until":    date(),
				"agent_requested_at":   date(),
				"live_chat_expires_at": date(),
				"updated_at":           date(),
				"indexed_at":           date(),
				"agent_requested":      map[string]any{"type": "boolean"},
			},
		},
	}
}

// indexTemplate wraps an index body into a composable index template that
// applies to exactly that index name.
func indexTemplate(index string, body map[string]any) map[string]any {
	return map[string]any{
		"index_patterns": []string{index},
		"priority":       templatePriority,
		"template":       body,
		"_meta":          map[string]any{"managed_by": "handoff", "handoff_schema": schemaVersion},
	}
}

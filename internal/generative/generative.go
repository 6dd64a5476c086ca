// Package generative phrases the AI's answers with a language model behind
// an OpenAI-compatible chat-completions endpoint (OpenAI, a local Ollama or
// vLLM). The model is told to answer strictly from the knowledge-base
// entries it is given; the caller falls back to the entry's own answer on
// any error.
package generative

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configure the endpoint.
type Options struct {
	// URL is the API's base, e.g. https://api.openai.com/v1 or
	// http://localhost:11434/v1; requests go to URL + "/chat/completions".
	URL    string
	Model  string
	APIKey string
	// Timeout bounds one request.
	Timeout time.Duration
	// HTTPClient is used when set (tests).
	HTTPClient *http.Client
}

// Source is a knowledge-base entry the answer may use.
type Source struct {
	Question string
	Answer   string
}

// Client phrases answers through the endpoint.
type Client struct {
	endpoint string
	opts     Options
	http     *http.Client
}

// maxAnswerBytes bounds what is read of a response.
const maxAnswerBytes = 1 << 20

// New checks the options and returns a client.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the endpoint %q is not an http(s) URL", opts.URL)
	}
	if strings.TrimSpace(opts.Model) == "" {
		return nil, errors.New("a model is needed")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	c := opts.HTTPClient
	if c == nil {
		c = &http.Client{}
	}
	return &Client{endpoint: strings.TrimRight(opts.URL, "/") + "/chat/completions", opts: opts, http: c}, nil
}

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type request struct {
	Model       string    `json:"model"`
	Messages    []message `json:"messages"`
	Temperature float64   `json:"temperature"`
}

type response struct {
	Choices []struct {
		Message message `json:"message"`
	} `json:"choices"`
}

// instructions keep the model to the entries.
const instructions = "You answer customers of a shop in the customer's language (%s). " +
	"Use only the facts in the knowledge-base entries below; never add facts, prices, dates or promises of your own. " +
	"If the entries do not answer the question, reply with exactly NO_ANSWER. Answer in at most three sentences.\n\n%s"

// Phrase asks the model to answer question in lang from sources. An empty
// answer, NO_ANSWER, a timeout or any failure is an error, and the caller
// uses the entry's own answer.
func (c *Client) Phrase(ctx context.Context, question, lang string, sources []Source) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var kb strings.Builder
	for i, s := range sources {
		fmt.Fprintf(&kb, "Entry %d\nQuestion: %s\nAnswer: %s\n\n", i+1, s.Question, s.Answer)
	}
	body, err := json.Marshal(request{Model: c.opts.Model, Temperature: 0, Messages: []message{
		{Role: "system", Content: fmt.Sprintf(instructions, lang, kb.String())},
		{Role: "user", Content: question},
	}})
	if err != nil {
		return "", fmt.Errorf("generative: encode the request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("generative: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("generative: %s: %w", c.endpoint, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return "", fmt.Errorf("generative: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("generative: %s answered %s", c.endpoint, resp.Status)
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("generative: the answer is not chat-completions JSON: %w", err)
	}
	if len(out.Choices) == 0 {
		return "", errors.New("generative: the answer has no choices")
	}
	text := strings.TrimSpace(out.Choices[0].Message.Content)
	if text == "" || strings.Contains(text, "NO_ANSWER") {
		return "", errors.New("generative: the model found no answer in the entries")
	}
	return text, nil
}

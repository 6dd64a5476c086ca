package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/handoff-chat/handoff/internal/answerer"
	"github.com/handoff-chat/handoff/internal/knowledge"
)

// runEval is `handoff eval --kb KB.json [--threshold X] QUESTIONS.jsonl`: it
// answers every question with the knowledge base and prints the misses and,
// as the last line, the scores as one JSON object. It needs no configuration
// or server, and a low score is not an error.
func runEval(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("handoff eval", flag.ContinueOnError)
	flags.SetOutput(stderr)
	kbPath := flags.String("kb", "", "knowledge base, a JSON array of entries (required)")
	threshold := flags.Float64("threshold", answerer.DefaultThreshold, "confidence an answer needs, in (0,1]")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(), "usage: handoff eval --kb KB.json [--threshold X] QUESTIONS.jsonl\n\n"+
			"Answers every question (one JSON object a line: {\"q\", \"lang\", \"expect\": id or null}),\n"+
			"prints the misses and, last, {\"answerable\", \"top1\", \"unanswerable\", \"declined\"}.\n\nFlags:\n")
		flags.PrintDefaults()
	}
	// Flags may come before or after the questions file.
	var files []string
	for {
		if err := flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		if flags.NArg() == 0 {
			break
		}
		files = append(files, flags.Arg(0))
		args = flags.Args()[1:]
	}
	if *kbPath == "" {
		return errors.New("eval: --kb is required")
	}
	if len(files) != 1 {
		return fmt.Errorf("eval: give one questions file, got %d", len(files))
	}
	if *threshold <= 0 || *threshold > 1 {
		return fmt.Errorf("eval: --threshold must be in (0,1], got %v", *threshold)
	}
	kbFile, err := os.Open(*kbPath)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer kbFile.Close()
	entries, err := knowledge.Decode(kbFile)
	if err != nil {
		return fmt.Errorf("eval: %s: %w", *kbPath, err)
	}
	qFile, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer qFile.Close()
	questions, err := answerer.ReadQuestions(qFile)
	if err != nil {
		return fmt.Errorf("eval: %s: %w", files[0], err)
	}
	a := answerer.New(entries, answerer.Options{Threshold: *threshold})
	return answerer.Evaluate(a, questions).Write(stdout)
}

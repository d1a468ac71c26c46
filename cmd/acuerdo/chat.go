package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"acuerdo"
	"acuerdo/agent"
	"acuerdo/store"
)

func init() {
	register(command{name: "chat", summary: "talk to the agent as a debtor, from the terminal", run: runChat})
}

const chatAbout = `Talks to the agent as the debtor with that phone number: each line read from
standard input is one WhatsApp message, and the agent's replies are printed.
Works with piped input, for scripts:

  printf 'hola\n4321\n1\n' | acuerdo chat --phone 3001234567

The model is ACUERDO_MODEL (offline, the menu engine, by default; or
openai:MODEL, anthropic:MODEL, gemini:MODEL). A line starting with "/media URL"
attaches a receipt to the next message.`

func runChat(ctx context.Context, e *env, args []string) error {
	fs, dbPath := flags(e, "chat", "chat --phone NUMBER", chatAbout)
	phoneArg := phoneFlags(fs, "the debtor's", true)
	if err := parse(e, fs, args); err != nil {
		return err
	}
	e164, err := phoneArg()
	if err != nil {
		return err
	}
	db, err := openDB(ctx, *dbPath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, closeModel, err := newAgent(ctx, e, db, acuerdo.SystemClock, logger)
	if err != nil {
		return err
	}
	defer closeModel()

	in := bufio.NewScanner(e.stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	var media []string
	for {
		if e.stdinTTY {
			fmt.Fprint(e.stdout, "> ")
		}
		if !in.Scan() {
			break
		}
		line := strings.TrimSpace(in.Text())
		if u, ok := strings.CutPrefix(line, "/media "); ok {
			media = append(media, strings.TrimSpace(u))
			continue
		}
		if line == "" && len(media) == 0 {
			continue
		}
		res, err := a.Converse(ctx, acuerdo.ChannelSandbox, e164, agent.Inbound{Text: line, Media: media})
		media = nil
		if err != nil {
			return err
		}
		for _, r := range res.Replies {
			fmt.Fprintln(e.stdout, indent(r))
		}
		if len(res.Replies) == 0 {
			fmt.Fprintln(e.stdout, "  (no reply: "+res.Handler+")")
		}
	}
	return in.Err()
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

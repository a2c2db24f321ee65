package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/conversation"
)

func init() {
	register(command{
		name:    "chat",
		summary: "talk to the bot in the terminal (the whole pipeline)",
		run:     runChat,
	})
}

// stdin is what chat reads (tests replace it).
var stdin io.Reader = os.Stdin

// terminal is the chat's Sender: it prints deltas as they come and the
// citations at the end. The final reply supersedes the streamed text; when
// they differ (the grounding guard removed a sentence), it is printed
// again in full.
type terminal struct {
	w        io.Writer
	streamed bool
	text     strings.Builder // what was streamed
}

func (t *terminal) Delta(_ context.Context, _ conversation.Address, text string) error {
	if !t.streamed {
		fmt.Fprint(t.w, "bot> ")
		t.streamed = true
	}
	t.text.WriteString(text)
	_, err := fmt.Fprint(t.w, text)
	return err
}

func (t *terminal) Send(_ context.Context, r conversation.Reply) error {
	switch {
	case !t.streamed:
		fmt.Fprint(t.w, "bot> ", r.Text)
	case strings.TrimSpace(t.text.String()) != strings.TrimSpace(r.Text):
		fmt.Fprint(t.w, "\n\nbot (final)> ", r.Text)
	}
	fmt.Fprintln(t.w)
	printCitations(t.w, r)
	if r.Handoff {
		fmt.Fprintln(t.w, "(handed over to a human agent; the bot stays quiet in this conversation)")
	}
	_, err := fmt.Fprintln(t.w)
	return err
}

func runChat(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("chat", "[--config F] [--knowledge DIR] [--mode extractive|generative] [--model PATH]", stderr)
	var pf pipelineFlags
	pf.add(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("chat: unexpected argument %q", fs.Arg(0))}
	}
	p, err := pf.pipeline(ctx, stderr)
	if err != nil {
		return err
	}
	defer p.Close(context.WithoutCancel(ctx))

	fmt.Fprintln(stdout, "Ask a question about the help centre. Type /quit to leave, /help for help.")
	addr := conversation.Address{Platform: "cli", Channel: "chat", User: "you"}
	lines := make(chan string)
	// The reader goroutine ends when stdin does; it may outlive runChat
	// only while blocked in a read of a terminal the process owns.
	go func() {
		defer close(lines)
		readLines(ctx, bufio.NewReader(stdin), lines, stderr)
	}()
	for n := 1; ; n++ {
		fmt.Fprint(stdout, "you> ")
		var line string
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout)
			return nil
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(stdout)
				return nil
			}
			line = strings.TrimSpace(l)
		}
		switch line {
		case "":
			continue
		case "/quit", "/exit", "/q":
			return nil
		case "/help", "/?":
			fmt.Fprintln(stdout, "Type a question, as a user of the help centre would. /quit leaves; \"talk to a human\" hands over, as it does on every platform.")
			continue
		}
		m := conversation.Message{ID: strconv.Itoa(n), Address: addr, UserName: "you", Text: line}
		err := p.Manager.Handle(ctx, m, &terminal{w: stdout})
		switch {
		case err == nil:
		case errors.Is(err, conversation.ErrRateLimited):
			fmt.Fprintln(stdout, "bot>", conversation.SaidFor(err, conversation.RateLimitedText))
		case errors.Is(err, conversation.ErrHumanHandling):
			fmt.Fprintln(stdout, "(a human agent has this conversation; the bot stays quiet)")
		case ctx.Err() != nil:
			return nil
		default:
			fmt.Fprintln(stderr, "switchboard: chat:", err)
		}
	}
}

// maxChatLine is the most of one input line chat keeps; the pipeline
// cuts a message further (conversation.Options.MaxMessageBytes).
const maxChatLine = 64 << 10

// readLines sends each line of r to lines until r ends or ctx is done. A
// line longer than maxChatLine is cut, with a note on stderr: a pasted
// 70,000-character line ended chat without a word, its next question
// unanswered.
func readLines(ctx context.Context, r *bufio.Reader, lines chan<- string, stderr io.Writer) {
	for {
		line, cut, err := readLine(r)
		if cut {
			fmt.Fprintf(stderr, "switchboard: chat: line cut to its first %d bytes\n", maxChatLine)
		}
		if line != "" || err == nil {
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(stderr, "switchboard: chat: read input:", err)
			}
			return
		}
	}
}

// readLine reads one line of r, without its end, keeping at most
// maxChatLine bytes of it; cut tells whether it kept less than the line.
func readLine(r *bufio.Reader) (line string, cut bool, err error) {
	var b []byte
	for {
		part, err := r.ReadSlice('\n')
		if room := maxChatLine - len(b); len(part) > room {
			part, cut = part[:room], true
		}
		b = append(b, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			// A cut may end inside a character.
			return strings.ToValidUTF8(strings.TrimRight(string(b), "\r\n"), ""), cut, err
		}
	}
}

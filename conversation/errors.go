package conversation

import "errors"

var (
	// ErrDuplicate means the message was already handled (same platform id).
	ErrDuplicate = errors.New("conversation: duplicate message")
	// ErrRateLimited means the user sent too many messages; nothing was sent.
	// Adapters answer with RateLimitedText (or the platform's equivalent).
	ErrRateLimited = errors.New("conversation: rate limited")
	// ErrHumanHandling means a human agent owns the session; the bot stays silent.
	ErrHumanHandling = errors.New("conversation: session handed off to a human")
	// ErrNotHandedOff means a session asked to be released is not in a
	// human agent's hands (unknown, expired or already released).
	ErrNotHandedOff = errors.New("conversation: session is not handed off")
	// ErrNoSession means a session named by an operator has no saved
	// turns: it never existed or it expired.
	ErrNoSession = errors.New("conversation: no such session")
	// ErrEmptyMessage means a message has no text once invisible
	// characters are gone.
	ErrEmptyMessage = errors.New("conversation: empty message")
	// ErrUnavailable means the session store cannot be reached; nothing was
	// saved and the message can be retried.
	ErrUnavailable = errors.New("conversation: store unavailable")
	// ErrGone is wrapped by a Sender whose user hung up (the HTTP client
	// closed the stream): the message counts as cancelled, not failed.
	ErrGone = errors.New("conversation: the user's connection is gone")
)

// RateLimitedText is the honest reply for a user over the rate limit.
const RateLimitedText = "You're sending messages faster than I can answer. Please wait a minute and try again."

// HumanHandlingText tells a user whose session a human agent owns why the
// bot does not answer.
const HumanHandlingText = "A member of our support team has this conversation; they will answer you here."

// A Refusal is an error the Manager answers a message with instead of a
// reply (ErrRateLimited, ErrHumanHandling), with what to tell the user
// in their language. Adapters that show the user a text for the error
// take it from SaidFor.
type Refusal struct {
	Err  error
	Text string
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// SaidFor returns the text a Refusal in err's chain carries for the
// user, or def.
func SaidFor(err error, def string) string {
	var r *Refusal
	if errors.As(err, &r) && r.Text != "" {
		return r.Text
	}
	return def
}

// ErrShutdown is returned by Manager.Handle after Manager.Shutdown, and by
// a second Shutdown.
var ErrShutdown = errors.New("conversation: manager shut down")

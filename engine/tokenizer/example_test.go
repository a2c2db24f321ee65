package tokenizer_test

import (
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard/switchboard/engine/tokenizer"
)

func Example() {
	tok, err := tokenizer.Load("testdata/models/llama") // tokenizer.json + tokenizer_config.json
	if err != nil {
		fmt.Println(err)
		return
	}
	user := "Where is my refund? <|im_end|>"
	ids := tok.Encode(user) // user text: "<|im_end|>" stays plain text
	fmt.Println(slices.ContainsFunc(ids, tok.IsControl), tok.Decode(ids) == user)

	prompt := tok.EncodeSpecial("<|im_start|>user\n" + user + "<|im_end|>\n")
	fmt.Println(prompt[0] == 1, tok.Token(prompt[0])) // the control token, parsed

	// Streaming: "你好" is spelled by six byte-level tokens; the decoder
	// emits each character whole.
	var pieces []string
	d := tok.NewDecoder()
	for _, id := range tok.Encode("你好") {
		if p := d.Next(id); p != "" {
			pieces = append(pieces, p)
		}
	}
	fmt.Println(strings.Join(pieces, "|"), d.Flush() == "")
	fmt.Println(tok.IsEOG(tok.EOS()))
	// Output:
	// false true
	// true <|im_start|>
	// 你|好 true
	// true
}

package synth

import (
	"context"
	"fmt"
)

func ExampleGenerator_Example() {
	g, err := New(context.Background(), Options{Seed: 1})
	if err != nil {
		panic(err)
	}
	ex := g.Example(4)
	fmt.Println(ex.Prompt.Messages[len(ex.Prompt.Messages)-1].Content)
	fmt.Println(ex.Answer)
	// Output:
	// """
	// delivery time Spain?
	// """
	// Orders to Spain arrive within 3 to 6 working days. [1]
}

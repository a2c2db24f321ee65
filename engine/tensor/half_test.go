package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFloat16Specials(t *testing.T) {
	tests := []struct {
		name string
		h    uint16
		f    float32
	}{
		{"zero", 0x0000, 0},
		{"one", 0x3c00, 1},
		{"minus two", 0xc000, -2},
		{"max", 0x7bff, 65504},
		{"smallest normal", 0x0400, 1.0 / (1 << 14)},
		{"smallest subnormal", 0x0001, 1.0 / (1 << 24)},
		{"largest subnormal", 0x03ff, 1023.0 / (1 << 24)},
		{"one third", 0x3555, 0.333251953125},
		{"infinity", 0x7c00, float32(math.Inf(1))},
		{"minus infinity", 0xfc00, float32(math.Inf(-1))},
	}
	for _, tt := range tests {
		if got := Float16ToFloat32(tt.h); got != tt.f {
			t.Errorf("%s: Float16ToFloat32(%#04x) = %v, want %v", tt.name, tt.h, got, tt.f)
		}
		if got := Float32ToFloat16(tt.f); got != tt.h {
			t.Errorf("%s: Float32ToFloat16(%v) = %#04x, want %#04x", tt.name, tt.f, got, tt.h)
		}
	}
	if got := Float32ToFloat16(float32(math.Copysign(0, -1))); got != 0x8000 {
		t.Errorf("Float32ToFloat16(-0) = %#04x, want 0x8000", got)
	}
	if got := Float32ToFloat16(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
		t.Errorf("Float32ToFloat16(NaN) = %#04x, want a NaN", got)
	}
	if got := Float32ToFloat16(65520); got != 0x7c00 {
		t.Errorf("Float32ToFloat16(65520) = %#04x, want infinity (rounds up)", got)
	}
	if got := Float32ToFloat16(1.0 / (1 << 25)); got != 0 {
		t.Errorf("Float32ToFloat16(2^-25) = %#04x, want 0 (tie to even)", got)
	}
	if got := Float32ToFloat16(1.5 / (1 << 24)); got != 2 {
		t.Errorf("Float32ToFloat16(1.5·2^-24) = %#04x, want 2 (tie to even)", got)
	}
}

// TestFloat16RoundTrip converts every half value to float32 and back.
func TestFloat16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := Float16ToFloat32(h)
		if f != f {
			continue
		}
		if got := Float32ToFloat16(f); got != h {
			t.Fatalf("Float32ToFloat16(Float16ToFloat32(%#04x) = %v) = %#04x", h, f, got)
		}
		if got := float16ToFloat32(h); got != f {
			t.Fatalf("table and conversion disagree at %#04x: %v, %v", h, f, got)
		}
	}
}

// TestFloat32ToFloat16Nearest checks rounding on random float32 values:
// the result is a nearest half value, and on a tie the even one.
func TestFloat32ToFloat16Nearest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		// Random bits over the half range and a little beyond.
		f := math.Float32frombits(r.Uint32()&0x80000000 | (0x30000000 + r.Uint32()%0x18000000))
		h := Float32ToFloat16(f)
		got := float64(Float16ToFloat32(h))
		if math.IsInf(got, 0) {
			if math.Abs(float64(f)) < 65520 {
				t.Fatalf("Float32ToFloat16(%v) = infinity", f)
			}
			continue
		}
		err := math.Abs(got - float64(f))
		for _, n := range []uint16{h + 1, h - 1} {
			nv := float64(Float16ToFloat32(n))
			if nv != nv || math.IsInf(nv, 0) || n&0x7fff == 0x7fff {
				continue
			}
			ne := math.Abs(nv - float64(f))
			if ne < err || ne == err && h&1 == 1 {
				t.Fatalf("Float32ToFloat16(%v) = %v (%#04x), but %v (%#04x) is nearer or even", f, got, h, nv, n)
			}
		}
	}
}

func TestBFloat16(t *testing.T) {
	tests := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3f80},
		{-2, 0xc000},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81}, // above tie
		{float32(math.Inf(1)), 0x7f80},
	}
	for _, tt := range tests {
		if got := Float32ToBFloat16(tt.f); got != tt.want {
			t.Errorf("Float32ToBFloat16(%v) = %#04x, want %#04x", tt.f, got, tt.want)
		}
	}
	if got := Float32ToBFloat16(float32(math.NaN())); BFloat16ToFloat32(got) == BFloat16ToFloat32(got) {
		t.Errorf("Float32ToBFloat16(NaN) = %#04x, not a NaN", got)
	}
	for i := 0; i < 1<<16; i++ {
		f := BFloat16ToFloat32(uint16(i))
		if f == f && Float32ToBFloat16(f) != uint16(i) {
			t.Fatalf("bfloat16 %#04x does not round-trip", i)
		}
	}
}

package tensor

import (
	"encoding/binary"
	"math"
)

// nearestInt rounds to the nearest integer, halves to even, as ggml's
// nearest_int (a float trick equal to rint in the default rounding mode).
func nearestInt(f float32) int { return int(math.RoundToEven(float64(f))) }

// makeQKX2Quants is ggml's make_qkx2_quants: it chooses a scale and a
// minimum for n values quantized to 0..nmax, minimizing the weighted
// squared error over nstep+1 candidate scales. It writes the quants to L
// and returns the scale and the (negated) minimum.
func makeQKX2Quants(nmax int, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
	n := len(x)
	min, max := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < min {
			min = x[i]
		}
		if x[i] > max {
			max = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if min > 0 {
		min = 0
	}
	if max == min {
		for i := range L[:n] {
			L[i] = 0
		}
		return 0, -min
	}
	iscale := float32(nmax) / (max - min)
	scale = 1 / iscale
	var bestError float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * (x[i] - min)))
		L[i] = uint8(max0(0, min0(nmax, l)))
		diff := float32(float32(scale*float32(L[i]))+min) - x[i]
		diff = float32(diff * diff)
		bestError += float32(weights[i] * diff)
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + float32(nmax)) / (max - min)
		var sumL, sumL2, sumXL float32
		for i := 0; i < n; i++ {
			l := max0(0, min0(nmax, nearestInt(float32(iscale*(x[i]-min)))))
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(float32(w*fl) * fl)
			sumXL += float32(float32(w*fl) * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i := 0; i < n; i++ {
				diff := float32(float32(thisScale*float32(Laux[i]))+thisMin) - x[i]
				diff = float32(diff * diff)
				curError += float32(weights[i] * diff)
			}
			if curError < bestError {
				copy(L[:n], Laux[:n])
				bestError, scale, min = curError, thisScale, thisMin
			}
		}
	}
	return scale, -min
}

func min0(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func max0(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// quantK45 is ggml's quantize_row_q4_K_ref (bits 4) and
// quantize_row_q5_K_ref (bits 5) for one 256-element block: per
// 32-element sub-block a weighted search for scale and minimum
// (makeQKX2Quants), both then quantized to six bits against the block's
// largest.
func quantK45(dst []byte, x []float32, bits int) {
	var L [QKK]uint8
	var laux [32]uint8
	var weights [32]float32
	var mins, scales [8]float32
	var maxScale, maxMin float32
	nmax := 1<<bits - 1
	for j := 0; j < QKK/32; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		if bits == 4 {
			scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], laux[:], -1, 0.1, 20)
		} else {
			scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], laux[:], -0.5, 0.1, 15)
		}
		if scales[j] > maxScale {
			maxScale = scales[j]
		}
		if mins[j] > maxMin {
			maxMin = mins[j]
		}
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := dst[4:16]
	clear(sc)
	for j := 0; j < QKK/32; j++ {
		ls := uint8(min0(63, nearestInt(float32(invScale*scales[j]))))
		lm := uint8(min0(63, nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	binary.LittleEndian.PutUint16(dst, Float32ToFloat16(maxScale/63))
	binary.LittleEndian.PutUint16(dst[2:], Float32ToFloat16(maxMin/63))
	d := f16Table[binary.LittleEndian.Uint16(dst)]
	dmin := f16Table[binary.LittleEndian.Uint16(dst[2:])]
	for j := 0; j < QKK/32; j++ {
		s, m := scaleMinK4(j, sc)
		dd := d * float32(s)
		if dd == 0 {
			continue
		}
		dm := dmin * float32(m)
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / dd)
			L[32*j+ii] = uint8(max0(0, min0(nmax, l)))
		}
	}
	if bits == 4 {
		qs := dst[16 : 16+QKK/2]
		for j := 0; j < QKK; j += 64 {
			for l := 0; l < 32; l++ {
				qs[j/2+l] = L[j+l] | L[j+l+32]<<4
			}
		}
		return
	}
	qh := dst[16 : 16+QKK/8]
	qs := dst[16+QKK/8 : 16+QKK/8+QKK/2]
	clear(qh)
	m1, m2 := uint8(1), uint8(2)
	for n := 0; n < QKK; n += 64 {
		for j := 0; j < 32; j++ {
			l1, l2 := L[n+j], L[n+j+32]
			if l1 > 15 {
				l1 -= 16
				qh[j] |= m1
			}
			if l2 > 15 {
				l2 -= 16
				qh[j] |= m2
			}
			qs[n/2+j] = l1 | l2<<4
		}
		m1 <<= 2
		m2 <<= 2
	}
}

// groupMaxEps is ggml's GROUP_MAX_EPS: groups smaller than this quantize
// to zero.
const groupMaxEps = 1e-15

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 (weights x²) and
// no importance weights: symmetric quants in -nmax..nmax-1, stored in L
// offset by nmax, with a search over 19 candidate scales.
func makeQXQuants(nmax int, x []float32, L []uint8) float32 {
	var max, amax float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, max = a, v
		}
	}
	if amax < groupMaxEps {
		clear(L[:len(x)])
		return 0
	}
	fmax := float32(nmax)
	iscale := -fmax / max
	var sumLX, sumL2 float32
	for i, v := range x {
		l := max0(-nmax, min0(nmax-1, nearestInt(float32(iscale*v))))
		L[i] = uint8(l + nmax)
		w := float32(v * v)
		fl := float32(l)
		sumLX += float32(float32(w*v) * fl)
		sumL2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := float32(scale * sumLX)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fmax + float32(0.1*float32(is))) / max
		sumLX, sumL2 = 0, 0
		for _, v := range x {
			l := max0(-nmax, min0(nmax-1, nearestInt(float32(iscale*v))))
			w := float32(v * v)
			fl := float32(l)
			sumLX += float32(float32(w*v) * fl)
			sumL2 += float32(float32(w*fl) * fl)
		}
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			for i, v := range x {
				L[i] = uint8(nmax + max0(-nmax, min0(nmax-1, nearestInt(float32(iscale*v)))))
			}
			scale = sumLX / sumL2
			best = float32(scale * sumLX)
		}
	}
	return scale
}

// quantQ6K is ggml's quantize_row_q6_K_ref for one 256-element block:
// sixteen 16-element sub-blocks, each with an 8-bit scale.
func quantQ6K(dst []byte, x []float32) {
	var L [QKK]uint8
	var scales [QKK / 16]float32
	var maxScale, maxAbsScale float32
	for ib := 0; ib < QKK/16; ib++ {
		s := makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
		scales[ib] = s
		if a := abs32(s); a > maxAbsScale {
			maxAbsScale, maxScale = a, s
		}
	}
	clear(dst)
	if maxAbsScale < groupMaxEps {
		return
	}
	ql := dst[:QKK/2]
	qh := dst[QKK/2 : QKK/2+QKK/4]
	sc := dst[QKK/2+QKK/4 : QKK/2+QKK/4+QKK/16]
	iscale := -128 / maxScale
	binary.LittleEndian.PutUint16(dst[QKK/2+QKK/4+QKK/16:], Float32ToFloat16(1/iscale))
	for ib := range sc {
		sc[ib] = byte(int8(min0(127, nearestInt(float32(iscale*scales[ib])))))
	}
	d16 := f16Table[binary.LittleEndian.Uint16(dst[QKK/2+QKK/4+QKK/16:])]
	for j := 0; j < QKK/16; j++ {
		d := d16 * float32(int8(sc[j]))
		if d == 0 {
			continue
		}
		for ii := 0; ii < 16; ii++ {
			l := max0(-32, min0(31, nearestInt(x[16*j+ii]/d)))
			L[16*j+ii] = uint8(l + 32)
		}
	}
	for j := 0; j < QKK; j += 128 {
		l64, h32 := ql[j/2:j/2+64], qh[j/4:j/4+32]
		for l := 0; l < 32; l++ {
			q1, q2, q3, q4 := L[j+l], L[j+l+32], L[j+l+64], L[j+l+96]
			l64[l] = q1&0xf | (q3&0xf)<<4
			l64[l+32] = q2&0xf | (q4&0xf)<<4
			h32[l] = q1>>4 | (q2>>4)<<2 | (q3>>4)<<4 | (q4>>4)<<6
		}
	}
}

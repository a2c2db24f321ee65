package tokenizer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// SentencePiece's tokenizer.model is a protobuf ModelProto. The fields this
// package reads, by number:
//
//	ModelProto       1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec
//	SentencePiece    1 piece (string), 2 score (float), 3 type (enum, default NORMAL)
//	TrainerSpec      3 model_type (1 unigram, 2 BPE), 24 treat_whitespace_as_suffix,
//	                 35 byte_fallback, 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id
//	NormalizerSpec   1 name, 2 precompiled_charsmap, 3 add_dummy_prefix (default true),
//	                 4 remove_extra_whitespaces (default true), 5 escape_whitespaces (default true)

// spmProto is what parseSPMModel reads from a ModelProto.
type spmProto struct {
	pieces                  []spmPiece
	modelType               int64
	treatWhitespaceAsSuffix bool
	unk, bos, eos, pad      int64
	normName                string
	charsmapLen             int
	addDummyPrefix          bool
	removeExtraWhitespaces  bool
	escapeWhitespaces       bool
}

type spmPiece struct {
	piece string
	score float32
	typ   int32
}

var errProto = errors.New("malformed protobuf")

// protoReader walks the fields of one protobuf message.
type protoReader struct {
	b   []byte
	off int
}

// next returns the next field: its number, wire type, varint or fixed
// value, and bytes for length-delimited fields.
func (r *protoReader) next() (num int, wire int, v uint64, data []byte, err error) {
	key, err := r.varint()
	if err != nil {
		return 0, 0, 0, nil, err
	}
	num, wire = int(key>>3), int(key&7)
	if num == 0 {
		return 0, 0, 0, nil, fmt.Errorf("%w: field number 0 at byte %d", errProto, r.off)
	}
	switch wire {
	case 0:
		v, err = r.varint()
	case 1:
		if len(r.b)-r.off < 8 {
			return 0, 0, 0, nil, fmt.Errorf("%w: truncated fixed64 at byte %d", errProto, r.off)
		}
		v = binary.LittleEndian.Uint64(r.b[r.off:])
		r.off += 8
	case 5:
		if len(r.b)-r.off < 4 {
			return 0, 0, 0, nil, fmt.Errorf("%w: truncated fixed32 at byte %d", errProto, r.off)
		}
		v = uint64(binary.LittleEndian.Uint32(r.b[r.off:]))
		r.off += 4
	case 2:
		var n uint64
		n, err = r.varint()
		if err == nil && n > uint64(len(r.b)-r.off) {
			err = fmt.Errorf("%w: length %d past the end at byte %d", errProto, n, r.off)
		}
		if err == nil {
			data = r.b[r.off : r.off+int(n)]
			r.off += int(n)
		}
	default:
		err = fmt.Errorf("%w: wire type %d at byte %d", errProto, wire, r.off)
	}
	return num, wire, v, data, err
}

func (r *protoReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("%w: bad varint at byte %d", errProto, r.off)
	}
	r.off += n
	return v, nil
}

func (r *protoReader) done() bool { return r.off >= len(r.b) }

// parseSPMModel reads a tokenizer.model.
func parseSPMModel(b []byte) (*spmProto, error) {
	p := &spmProto{modelType: 1, unk: 0, bos: 1, eos: 2, pad: -1,
		addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true}
	r := &protoReader{b: b}
	for !r.done() {
		num, wire, _, data, err := r.next()
		if err != nil {
			return nil, err
		}
		if wire != 2 {
			continue
		}
		switch num {
		case 1:
			if len(p.pieces) >= maxVocab {
				return nil, fmt.Errorf("%w: more than %d pieces", errProto, maxVocab)
			}
			pc, err := parsePiece(data)
			if err != nil {
				return nil, fmt.Errorf("piece %d: %w", len(p.pieces), err)
			}
			p.pieces = append(p.pieces, pc)
		case 2:
			if err := p.parseTrainer(data); err != nil {
				return nil, fmt.Errorf("trainer spec: %w", err)
			}
		case 3:
			if err := p.parseNormalizer(data); err != nil {
				return nil, fmt.Errorf("normalizer spec: %w", err)
			}
		}
	}
	if len(p.pieces) == 0 {
		return nil, fmt.Errorf("%w: no pieces", errProto)
	}
	return p, nil
}

func parsePiece(b []byte) (spmPiece, error) {
	pc := spmPiece{typ: TypeNormal}
	r := &protoReader{b: b}
	for !r.done() {
		num, wire, v, data, err := r.next()
		if err != nil {
			return pc, err
		}
		switch {
		case num == 1 && wire == 2:
			pc.piece = string(data)
		case num == 2 && wire == 5:
			pc.score = math.Float32frombits(uint32(v))
		case num == 3 && wire == 0:
			pc.typ = int32(v)
		}
	}
	return pc, nil
}

func (p *spmProto) parseTrainer(b []byte) error {
	r := &protoReader{b: b}
	for !r.done() {
		num, wire, v, _, err := r.next()
		if err != nil {
			return err
		}
		if wire != 0 {
			continue
		}
		switch num {
		case 3:
			p.modelType = int64(v)
		case 24:
			p.treatWhitespaceAsSuffix = v != 0
		case 40:
			p.unk = int64(int32(v))
		case 41:
			p.bos = int64(int32(v))
		case 42:
			p.eos = int64(int32(v))
		case 43:
			p.pad = int64(int32(v))
		}
	}
	return nil
}

func (p *spmProto) parseNormalizer(b []byte) error {
	r := &protoReader{b: b}
	for !r.done() {
		num, wire, v, data, err := r.next()
		if err != nil {
			return err
		}
		switch {
		case num == 1 && wire == 2:
			p.normName = string(data)
		case num == 2 && wire == 2:
			p.charsmapLen = len(data)
		case num == 3 && wire == 0:
			p.addDummyPrefix = v != 0
		case num == 4 && wire == 0:
			p.removeExtraWhitespaces = v != 0
		case num == 5 && wire == 0:
			p.escapeWhitespaces = v != 0
		}
	}
	return nil
}

// parseSPM builds a Tokenizer from tokenizer.model bytes; side supplies
// AddBOS and AddEOS from the files beside it.
func parseSPM(b []byte, side sidecar) (*Tokenizer, error) {
	p, err := parseSPMModel(b)
	if err != nil {
		return nil, fmt.Errorf("parse tokenizer.model: %w", err)
	}
	switch {
	case p.modelType != 2:
		return nil, fmt.Errorf("%w: SentencePiece model type %d (only BPE, 2)", ErrUnsupported, p.modelType)
	case p.charsmapLen > 0:
		return nil, fmt.Errorf("%w: SentencePiece normalizer %q", ErrUnsupported, p.normName)
	case p.treatWhitespaceAsSuffix || !p.escapeWhitespaces:
		return nil, fmt.Errorf("%w: SentencePiece whitespace handling", ErrUnsupported)
	}
	n := len(p.pieces)
	v := Vocab{Model: ModelSPM, Tokens: make([]string, n), Scores: make([]float32, n), Types: make([]int32, n),
		BOS: -1, EOS: -1, Unknown: -1, Padding: -1, AddBOS: true, AddSpacePrefix: p.addDummyPrefix}
	for i, pc := range p.pieces {
		v.Tokens[i], v.Scores[i], v.Types[i] = pc.piece, pc.score, pc.typ
	}
	inRange := func(id int64) int {
		if id >= 0 && id < int64(n) {
			return int(id)
		}
		return -1
	}
	v.Unknown, v.BOS, v.EOS, v.Padding = inRange(p.unk), inRange(p.bos), inRange(p.eos), inRange(p.pad)
	extra := applySidecar(&v, side, nil)
	return newTokenizer(v, options{
		spmNormSet: true,
		eog:        extra,
		spmNorm:    spmNormalizer{addDummyPrefix: p.addDummyPrefix, removeExtraWhitespaces: p.removeExtraWhitespaces},
	})
}

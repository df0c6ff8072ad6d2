package engine

import "github.com/otelcol-payments/otelcol-payments/internal/bincodec"

// enc and dec are the primitives of the persisted formats (journal records
// and the snapshot).
type (
	enc = bincodec.Enc
	dec = bincodec.Dec
)

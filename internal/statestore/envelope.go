package statestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// magic starts every envelope. Payloads written before envelopes existed
// (JSON, or the paymentbi/threshold binary codecs) never start with it.
var magic = []byte("\x00otps")

// Format is one kind of persisted value and its current version. Its
// envelope is magic, the name (one length byte, then the bytes), the
// version (uint16, big endian), then the payload.
type Format struct {
	// Name tells formats apart, so a value written by one component is
	// never decoded as another's ("alertexporter.state").
	Name string
	// Version is what Encode writes.
	Version uint16
	// Unversioned is the version of a value without an envelope, written
	// before the component adopted it.
	Unversioned uint16
	// Upgrades[v] turns a version v payload into a version v+1 one, so an
	// upgraded collector reads what the previous release wrote.
	Upgrades map[uint16]func([]byte) ([]byte, error)
}

// Encode wraps payload in the envelope of the current version.
func (f Format) Encode(payload []byte) []byte {
	b := make([]byte, 0, len(magic)+1+len(f.Name)+2+len(payload))
	b = append(b, magic...)
	b = append(b, byte(len(f.Name)))
	b = append(b, f.Name...)
	b = binary.BigEndian.AppendUint16(b, f.Version)
	return append(b, payload...)
}

// ErrNewerVersion means the value was written by a newer release: it is
// left alone rather than misread.
var ErrNewerVersion = errors.New("written by a newer version")

// Decode returns the payload of b upgraded to the current version.
func (f Format) Decode(b []byte) ([]byte, error) {
	version, payload, err := f.open(b)
	if err != nil {
		return nil, err
	}
	if version > f.Version {
		return nil, fmt.Errorf("%s: version %d, this release reads up to %d: %w", f.Name, version, f.Version, ErrNewerVersion)
	}
	for ; version < f.Version; version++ {
		up, ok := f.Upgrades[version]
		if !ok {
			return nil, fmt.Errorf("%s: no upgrade from version %d", f.Name, version)
		}
		if payload, err = up(payload); err != nil {
			return nil, fmt.Errorf("%s: upgrading version %d: %w", f.Name, version, err)
		}
	}
	return payload, nil
}

func (f Format) open(b []byte) (uint16, []byte, error) {
	if !bytes.HasPrefix(b, magic) {
		return f.Unversioned, b, nil
	}
	rest := b[len(magic):]
	if len(rest) < 1 || len(rest) < 1+int(rest[0])+2 {
		return 0, nil, fmt.Errorf("%s: truncated envelope", f.Name)
	}
	name := string(rest[1 : 1+rest[0]])
	if name != f.Name {
		return 0, nil, fmt.Errorf("%s: the value is a %q", f.Name, name)
	}
	rest = rest[1+len(name):]
	return binary.BigEndian.Uint16(rest), rest[2:], nil
}

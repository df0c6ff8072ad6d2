package grpcgzip

import (
	"bytes"
	stdgzip "compress/gzip"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/encoding"
)

func payload(i int) []byte {
	return []byte(strings.Repeat(fmt.Sprintf(`{"span":"payment.charge","order.id":"ord_%d","provider":"stripe"}`, i), 200+i))
}

// gRPC finds this compressor under "gzip", not its own.
func TestReplacesGRPCGzip(t *testing.T) {
	_, ours := encoding.GetCompressor(Name).(*compressor)
	assert.True(t, ours, "gzip compressor is %T", encoding.GetCompressor(Name))
}

func compress(t *testing.T, c encoding.Compressor, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := c.Compress(&buf)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func decompress(t *testing.T, c encoding.Compressor, data []byte) []byte {
	t.Helper()
	r, err := c.Decompress(bytes.NewReader(data))
	require.NoError(t, err)
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	if cl, ok := r.(io.Closer); ok {
		require.NoError(t, cl.Close())
	}
	return out
}

// The wire format is gzip's: peers with any gzip read what it writes, and
// it reads theirs, also with pooled (reused) writers and readers.
func TestInteroperatesWithStandardGzip(t *testing.T) {
	c := encoding.GetCompressor(Name)
	for i := range 3 {
		data := payload(i)
		std, err := stdgzip.NewReader(bytes.NewReader(compress(t, c, data)))
		require.NoError(t, err)
		got, err := io.ReadAll(std)
		require.NoError(t, err)
		assert.Equal(t, data, got, "standard gzip reads ours, round %d", i)

		var buf bytes.Buffer
		w := stdgzip.NewWriter(&buf)
		_, err = w.Write(data)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		assert.Equal(t, data, decompress(t, c, buf.Bytes()), "we read standard gzip, round %d", i)
	}
	_, err := c.Decompress(strings.NewReader("not gzip"))
	assert.Error(t, err)
}

func TestConcurrentUse(t *testing.T) {
	c := encoding.GetCompressor(Name)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				data := payload(g*100 + i)
				assert.Equal(t, data, decompress(t, c, compress(t, c, data)))
			}
		})
	}
	wg.Wait()
}

package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/encoding"
)

// The binary compresses gRPC with internal/grpcgzip, not gRPC's gzip.
func TestDistributionUsesFastGRPCGzip(t *testing.T) {
	assert.Equal(t, "*grpcgzip.compressor", fmt.Sprintf("%T", encoding.GetCompressor("gzip")))
}

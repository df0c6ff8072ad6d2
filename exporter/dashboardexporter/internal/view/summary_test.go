package view

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestGrouped(t *testing.T) {
	assert.Equal(t, "124,027.34", grouped(124027.339))
	assert.Equal(t, "999.00", grouped(999))
	assert.Equal(t, "-1,000,000.50", grouped(-1000000.5))
	assert.Equal(t, "0.00", grouped(0))
}

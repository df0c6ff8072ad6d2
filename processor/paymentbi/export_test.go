package paymentbi

// NewFactoryAt and NewConnectorFactoryAt build the factories on a given
// clock, for the tests of package paymentbi_test that run a whole
// collector on simulated time.
var (
	NewFactoryAt          = newFactory
	NewConnectorFactoryAt = newConnectorFactory
)

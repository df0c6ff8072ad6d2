package contract

// EventInventoryRelease is the business event of a checkout that ended
// without a purchase on the shop's side (cancelled, expired there): the
// units it held go back to sale. It names the checkout like
// ecommerce.begin_checkout did: checkout.session.id, else order.id.
const EventInventoryRelease = "inventory.release"

// Experiment attributes: the A/B test and the variant a session was
// assigned to, on checkout spans and on every business event of the
// session. paymentbi compares the variants of one experiment.
const (
	ExperimentID      = "experiment.id"
	ExperimentVariant = "experiment.variant"
)

// Acquisition attributes: where the visitor came from, as the shop's UTM
// parameters say, on every business event of the session. paymentbi
// breaks revenue and conversion down by UTMSource (its channel segment).
const (
	UTMSource   = "utm.source"
	UTMMedium   = "utm.medium"
	UTMCampaign = "utm.campaign"
)

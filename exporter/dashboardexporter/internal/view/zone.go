package view

import "time"

// localize puts every time of the document in the business time zone, so
// the page and the API show one zone, each time with its ISO-8601 offset
// (the store and alert records keep UTC and arrival times as they came).
func localize(d *Dashboard, loc *time.Location) {
	d.GeneratedAt = d.GeneratedAt.In(loc)
	if d.Data.LastDataAt != nil {
		d.Data.LastDataAt = ptr(d.Data.LastDataAt.In(loc))
	}
	for k, at := range d.Data.Sources {
		d.Data.Sources[k] = at.In(loc)
	}
	for i := range d.Channels {
		d.Channels[i].Since = d.Channels[i].Since.In(loc)
	}
	for i := range d.LowStock {
		d.LowStock[i].At = d.LowStock[i].At.In(loc)
	}
	for _, list := range [][]Alert{d.Alerts, d.RecentlyResolved} {
		for i := range list {
			localizeAlert(&list[i], loc)
		}
	}
}

func localizeAlert(a *Alert, loc *time.Location) {
	a.StartsAt = a.StartsAt.In(loc)
	if a.EndsAt != nil {
		a.EndsAt = ptr(a.EndsAt.In(loc))
	}
	if a.AckedAt != nil {
		a.AckedAt = ptr(a.AckedAt.In(loc))
	}
}

// InZone returns the data status with its times in loc (for /healthz).
func InZone(ds DataStatus, loc *time.Location) DataStatus {
	d := Dashboard{Data: ds}
	localize(&d, loc)
	return d.Data
}

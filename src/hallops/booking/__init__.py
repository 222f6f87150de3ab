"""Hall visit bookings: a customer books a time slot, gets a code by SMS and checks in at the kiosk or greeter."""

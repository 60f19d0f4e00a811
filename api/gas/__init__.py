"""Gas-safety household inspection (入户安检): gas users, plans, the field app, hazards into the closed loop."""

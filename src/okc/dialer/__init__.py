"""okc.dialer: outbound campaigns and the predictive pacer (a later issue builds them)."""

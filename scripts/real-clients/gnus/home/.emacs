(setq inhibit-startup-screen t)

"""Sound for the cut: dialogue (``tts``), ambience beds, the mix with ducking, and loudness.

Everything is numpy plus subprocesses (ffmpeg, TTS engines); nothing here needs a GPU or the
network. Submodules are imported directly (``reelforge.audio.mix``) so that using one does not
pull in the others.
"""

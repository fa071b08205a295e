"""Tests of generator/resident/: builds handed to a process kept between them."""

"""Publishing a built site: one module per kind of destination, chosen by its URL scheme.

`targets` picks the target from `site.deploy` / `--to` (`s3://` -> `s3`, `git+ssh://` and
`git+file://` -> `git`, anything else -> `rsync`), `safety` refuses destinations that would
overwrite or delete the project's own sources, and `destination` holds what the targets share.
"""

from generator.site.deploy.destination import Destination
from generator.site.deploy.safety import ProjectPaths, destination_problems
from generator.site.deploy.targets import deploy_site

__all__ = ["Destination", "ProjectPaths", "deploy_site", "destination_problems"]

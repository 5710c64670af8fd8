#!/usr/bin/env bash
# A benchmark video from the fixture photos: ten 6-second 1280×720 shots, 25 fps, H.264, each
# a slow zoom on one photo, cut from one to the next (10 appearances, 60 s).
#
#   scripts/bench/make-video.sh [OUTPUT]     (default: bench-data/video/footage-720p.mp4)
#   likeness bench ingest bench-data/video
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
output=${1:-$root/bench-data/video/footage-720p.mp4}
mkdir -p "$(dirname "$output")"
inputs=() filters="" concat=""
photos=(img10 img16 img47 img12 img11 img17 img50 img53 img61 img6)
for i in "${!photos[@]}"; do
    inputs+=(-framerate 25 -loop 1 -t 6 -i "$root/Tests/Fixtures/faces/${photos[$i]}.jpg")
    filters+="[$i]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,"
    filters+="zoompan=z='1+0.002*on':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s=1280x720:fps=25,setsar=1[s$i];"
    concat+="[s$i]"
done
ffmpeg -hide_banner -loglevel error -y "${inputs[@]}" \
    -filter_complex "${filters}${concat}concat=n=${#photos[@]}:v=1:a=0,format=yuv420p[v]" \
    -map "[v]" -c:v libx264 -preset veryfast "$output"
echo "$output"

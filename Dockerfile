# campusdesk in a container (compose.yaml): the package and its pinned dependencies, run as
# an unprivileged user, data in /var/lib/campusdesk (a volume).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/var/lib/campusdesk

# pg_dump/pg_restore for `campusdesk backup`; a CJK font for the PDF reports
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/campusdesk --shell /usr/sbin/nologin campusdesk \
    && install -d -o campusdesk -g campusdesk -m 0750 /var/lib/campusdesk

WORKDIR /srv/campusdesk
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip install -c constraints.txt .

USER campusdesk
EXPOSE 8000
CMD ["gunicorn", "campusdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--access-logfile", "-"]

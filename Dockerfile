# Front-end libraries (htmx) come from npm; only node_modules is kept.
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 1000 torqueflow

# Dependencies first, so code changes do not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
COPY --from=assets /app/node_modules ./node_modules
RUN pip install --no-deps -e . \
    && DEBUG=0 SECRET_KEY=collectstatic-only FIELD_ENCRYPTION_KEYS=collectstatic-only \
       python manage.py collectstatic --noinput \
    && chown -R torqueflow:torqueflow var

ENV DEBUG=0
USER torqueflow
EXPOSE 8000
CMD ["gunicorn", "torqueflow.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]

# syntax=docker/dockerfile:1
# Build: docker build -t kefu .   Run: docker run -p 8080:8080 -v kefu-data:/data kefu
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/kefu
COPY pyproject.toml README.md ./
COPY core ./core
COPY bot ./bot
COPY channels ./channels
COPY intake ./intake
COPY kb ./kb
COPY handoff ./handoff
RUN /opt/kefu/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --create-home --uid 10001 kefu \
 && mkdir /data && chown kefu /data
COPY --from=build /opt/kefu /opt/kefu
ENV PATH=/opt/kefu/bin:$PATH \
    KEFU_DATA_DIR=/data \
    KEFU_HOST=0.0.0.0 \
    KEFU_PORT=8080 \
    PYTHONUNBUFFERED=1
USER kefu
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz').status == 200 else 1)"
CMD ["kefu", "serve"]
